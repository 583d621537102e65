-- name: eitherOr :stream
-- allow: seqscan golden case over a tiny table
SELECT b FROM t WHERE b IS NOT NULL OR a > 0;
