-- name: categoryTree :list
-- order: id
WITH RECURSIVE tree AS (
  SELECT id, parent_id, name FROM categories WHERE id = :rootId
  UNION
  SELECT c.id, c.parent_id, c.name FROM categories c JOIN tree t ON c.parent_id = t.id
)
SELECT id, parent_id, name FROM tree;

-- name: categoryTreeByName :list
-- order: name, id
WITH RECURSIVE tree AS (
  SELECT id, parent_id, name FROM categories WHERE id = :rootId
  UNION
  SELECT c.id, c.parent_id, c.name FROM categories c JOIN tree t ON c.parent_id = t.id
)
SELECT id, name FROM tree;
