-- name: booleans :stream
-- allow: seqscan golden case over a tiny table
SELECT a > 1 AND s = 'x' AS both_sure, a > 1 AND b > 1 AS one_nullable, NOT (a > 1) AS negated, b IS NULL AS is_null, (b > 1) IS TRUE AS is_true FROM t;
