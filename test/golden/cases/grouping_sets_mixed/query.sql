-- name: mixedGrouping :stream
-- allow: seqscan golden case over a tiny table
SELECT a, s, count(*) AS n FROM t GROUP BY a, ROLLUP (s);
