-- name: groupingSets :stream
-- allow: seqscan golden case over a tiny table
SELECT a, s, count(*) AS n FROM t GROUP BY GROUPING SETS ((a, s), (a));
