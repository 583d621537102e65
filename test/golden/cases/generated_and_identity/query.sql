-- name: insertGen :one
-- allow: seqscan golden case over a tiny table
INSERT INTO gen (w) VALUES (5) RETURNING id, w, doubled, maybe;

-- name: readGen :stream
-- allow: seqscan golden case over a tiny table
SELECT id, doubled, maybe FROM gen;
