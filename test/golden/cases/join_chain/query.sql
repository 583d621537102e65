-- name: chain :stream
-- allow: seqscan golden case over a tiny table
SELECT l.lv, r.rv, m.mv FROM l LEFT JOIN r ON r.l_id = l.id LEFT JOIN m ON m.r_id = r.id;
