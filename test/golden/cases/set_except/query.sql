-- name: excepted :stream
-- allow: seqscan golden case over a tiny table
SELECT a, b FROM t EXCEPT SELECT id, t_id FROM u;
