-- name: rollupPosition :stream
-- allow: seqscan golden case over a tiny table
SELECT upper(s) AS k, count(*) AS n FROM t GROUP BY ROLLUP (1);

-- name: rollupAlias :stream
-- allow: seqscan golden case over a tiny table
SELECT concat(s, 'x') AS k2, count(*) AS n FROM t GROUP BY ROLLUP (k2);
