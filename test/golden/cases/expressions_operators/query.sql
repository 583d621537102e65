-- name: operators :stream
-- allow: seqscan golden case over a tiny table
SELECT a + 1 AS plus, a * b AS times_nullable, -a AS negated, s || 'x' AS concatenated, a > 1 AS compared,
       s ~ 'x' AS regex, s LIKE 'x%' AS liked, n ILIKE 'x%' AS nullable_like, a BETWEEN 1 AND 20 AS between_bounds,
       b BETWEEN 1 AND 20 AS nullable_between, a IS DISTINCT FROM b AS distinct_from
FROM t;
