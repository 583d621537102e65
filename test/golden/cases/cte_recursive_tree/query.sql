-- name: tree :stream
-- allow: seqscan golden case over a tiny table
WITH RECURSIVE tree AS (
  SELECT id, parent_id, name, ARRAY[id] AS path FROM nodes WHERE parent_id IS NULL
  UNION ALL
  SELECT n.id, n.parent_id, n.name, tree.path || n.id FROM nodes n JOIN tree ON n.parent_id = tree.id
)
SELECT id, parent_id, name, path FROM tree;
