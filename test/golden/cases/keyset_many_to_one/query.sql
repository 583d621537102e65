-- name: childrenWithParent :list
-- order: id DESC
SELECT c.id, c.name, p.name AS parent_name
FROM children c
JOIN parents p ON p.id = c.parent_id;
