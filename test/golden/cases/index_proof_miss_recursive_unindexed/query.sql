-- name: shelfSubtree :list
-- order: id
WITH RECURSIVE tree AS (
  SELECT id FROM shelves WHERE id = :rootId
  UNION ALL
  SELECT s.id FROM shelves s JOIN tree t ON s.parent_id = t.id
)
SELECT s.id, s.name FROM shelves s WHERE s.id IN (SELECT id FROM tree);
