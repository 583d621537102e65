-- name: nestedCtes :stream
-- allow: seqscan golden case over a tiny table
WITH outer_cte AS (SELECT id, a FROM t) SELECT (SELECT count(*) FROM (WITH inner_cte AS (SELECT * FROM outer_cte) SELECT * FROM inner_cte) q) AS n, o.a FROM outer_cte o;
