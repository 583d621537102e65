-- name: categoryTree :list
-- order: id
WITH RECURSIVE tree AS (
  SELECT id, parent_id, name FROM categories WHERE id = :rootId
  UNION ALL
  SELECT c.id, c.parent_id, c.name FROM categories c JOIN tree t ON c.parent_id = t.id
)
SELECT id, parent_id, name FROM tree;

-- name: categoryTreeWithRoot :list
-- order: id
WITH RECURSIVE tree AS (
  SELECT id, id AS root_id, name FROM categories WHERE id = :rootId
  UNION
  SELECT c.id, t.root_id, c.name FROM categories c JOIN tree t ON c.parent_id = t.id
)
SELECT id, root_id, name FROM tree;
