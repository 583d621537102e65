-- name: shadow :stream
-- allow: seqscan golden case over a tiny table
WITH u AS (SELECT id, b AS w FROM t) SELECT id, w FROM u;
