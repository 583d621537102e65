-- name: unionValues :stream
-- allow: seqscan golden case over a tiny table
SELECT a, s FROM t UNION ALL VALUES (1, 'one'), (2, NULL);
