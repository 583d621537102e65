-- name: whereAfterJoin :stream
-- allow: seqscan golden case over a tiny table
SELECT t.id, u.v, u.w, u.id AS u_id FROM t LEFT JOIN u ON u.t_id = t.id WHERE u.w IS NOT NULL;
