-- name: lateralLeft :stream
-- allow: seqscan golden case over a tiny table
SELECT l.lv, x.c, x.last_rv FROM l LEFT JOIN LATERAL (SELECT count(*) AS c, max(r.rv) AS last_rv FROM r WHERE r.l_id = l.id) x ON true;
