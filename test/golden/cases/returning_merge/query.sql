-- name: mergeU :stream
-- allow: seqscan golden case over a tiny table
MERGE INTO u USING t ON u.t_id = t.id
WHEN MATCHED THEN UPDATE SET w = t.s
WHEN NOT MATCHED THEN INSERT (id, t_id, v) VALUES (t.id + 50, t.id, t.s)
RETURNING merge_action() AS action, u.id, u.v, t.s;
