-- name: insertThroughView :one
-- allow: seqscan golden case over a tiny table
INSERT INTO tv (id, a, s, j, arr, ts) VALUES (20, 1, 's', '{}', '{}', now()) RETURNING id, a, s;
