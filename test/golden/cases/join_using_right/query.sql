-- name: rightUsing :stream
-- allow: seqscan golden case over a tiny table
SELECT id, l.id AS l_id, r.id AS r_id FROM l RIGHT JOIN r USING (id);
