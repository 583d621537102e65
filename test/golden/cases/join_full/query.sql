-- name: full :stream
-- allow: seqscan golden case over a tiny table
SELECT l.lv, r.rv FROM l FULL JOIN r ON r.l_id = l.id;
