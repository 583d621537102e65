-- name: rollupKeys :stream
-- allow: seqscan golden case over a tiny table
SELECT a, s, count(*) AS n, grouping(a, s) AS level
FROM t
GROUP BY ROLLUP (a, s);
