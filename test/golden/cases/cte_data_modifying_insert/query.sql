-- name: insertAndRead :stream
-- allow: seqscan golden case over a tiny table
WITH added AS (INSERT INTO u (id, t_id, v) VALUES (40, 1, 'new') RETURNING *)
SELECT a.id, a.v, a.w, (SELECT count(*) FROM added) AS added_count FROM added a;
