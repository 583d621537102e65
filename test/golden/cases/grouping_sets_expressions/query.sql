-- name: groupedExpressions :stream
-- allow: seqscan golden case over a tiny table
SELECT lower(s) AS lowered, concat(s, '!') AS shouted, count(*) AS n
FROM t
GROUP BY ROLLUP (lower(s), concat(s, '!'));
