-- name: sampled :stream
-- allow: seqscan golden case over a tiny table
SELECT a, b FROM t TABLESAMPLE SYSTEM (100);
