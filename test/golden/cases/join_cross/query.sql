-- name: cross :stream
-- allow: seqscan golden case over a tiny table
SELECT l.lv, r.rv, m.mv FROM l CROSS JOIN r, m;
