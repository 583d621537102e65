-- name: limitedDerived :stream
-- allow: seqscan golden case over a tiny table
SELECT d.c, d.m FROM (SELECT count(*) AS c, max(a) AS m FROM t LIMIT 0) AS d;
