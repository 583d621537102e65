-- name: left :stream
-- allow: seqscan golden case over a tiny table
SELECT l.lv, r.rv, r.id AS r_id FROM l LEFT JOIN r ON r.l_id = l.id;
