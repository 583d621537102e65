-- name: reachable :list
-- order: id
WITH RECURSIVE tree AS (
  SELECT id, name FROM nodes WHERE id = 1
  UNION ALL
  SELECT n.id, n.name FROM nodes n JOIN edges e ON e.child = n.id JOIN tree t ON e.parent = t.id
)
SELECT id, name FROM tree;
