-- name: deleteUsing :stream
-- allow: seqscan golden case over a tiny table
DELETE FROM u USING t WHERE t.id = u.t_id RETURNING u.id, t.s, t.b;
