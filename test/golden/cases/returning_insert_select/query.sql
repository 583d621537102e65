-- name: copyRows :stream
-- allow: seqscan golden case over a tiny table
INSERT INTO u (id, t_id, v) SELECT id + 100, id, s FROM t RETURNING *;
