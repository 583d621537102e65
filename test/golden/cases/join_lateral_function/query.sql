-- name: lateralFunction :stream
-- allow: seqscan golden case over a tiny table
SELECT l.id, g FROM l, generate_series(1, l.id) AS g;
