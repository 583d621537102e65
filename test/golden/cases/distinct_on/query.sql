-- name: firstPerS :stream
-- allow: seqscan golden case over a tiny table
SELECT DISTINCT ON (s) s, id, b FROM t ORDER BY s, id;
