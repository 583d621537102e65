-- name: withB :stream
-- allow: seqscan golden case over a tiny table
SELECT id, b, n FROM t WHERE b IS NOT NULL AND NOT (n IS NULL);
