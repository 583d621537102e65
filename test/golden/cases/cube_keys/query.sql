-- name: cubeKeys :stream
-- allow: seqscan golden case over a tiny table
SELECT a, count(*) AS n FROM t GROUP BY CUBE (a);
