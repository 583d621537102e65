-- name: usingAlias :stream
-- allow: seqscan golden case over a tiny table
SELECT j.id, l.lv, r.rn FROM l LEFT JOIN r USING (id) AS j;

-- name: joinAlias :stream
-- allow: seqscan golden case over a tiny table
SELECT jj.lv, jj.rv FROM (l LEFT JOIN r ON r.l_id = l.id) AS jj;
