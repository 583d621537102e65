-- name: rollupDerived :stream
-- allow: seqscan golden case over a tiny table
SELECT r.a, r.n, g.a AS plain_a
FROM (SELECT a, count(*) AS n FROM t GROUP BY ROLLUP (a)) AS r
CROSS JOIN (SELECT a FROM t GROUP BY a) AS g;
