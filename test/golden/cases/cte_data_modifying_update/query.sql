-- name: updateThenJoin :stream
-- allow: seqscan golden case over a tiny table
WITH changed AS (UPDATE u SET w = 'x' WHERE t_id = 1 RETURNING id, t_id, w)
SELECT t.id, changed.w FROM t LEFT JOIN changed ON changed.t_id = t.id;
