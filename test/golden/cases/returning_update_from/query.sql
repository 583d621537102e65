-- name: updateFrom :stream
-- allow: seqscan golden case over a tiny table
UPDATE u SET w = t.n FROM t WHERE t.id = u.t_id RETURNING u.id, u.w, t.s, t.n;
