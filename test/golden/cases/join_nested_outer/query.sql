-- name: nested :stream
-- allow: seqscan golden case over a tiny table
SELECT l.lv, r.rv, m.mv FROM l LEFT JOIN (r JOIN m ON m.r_id = r.id) ON r.l_id = l.id;
