-- name: walk :stream
-- allow: seqscan golden case over a tiny table
WITH RECURSIVE chain(id, prev, depth) AS (
  SELECT id, b, 0 FROM t WHERE id = 1
  UNION ALL
  SELECT t.id, chain.prev + t.b, depth + 1 FROM chain JOIN t ON t.id = chain.id + 1
)
SELECT id, prev, depth FROM chain;
