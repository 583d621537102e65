-- name: childrenCommaParents :list
-- order: id ASC
SELECT c.id, p.name AS parent_name
FROM children c, parents p
WHERE p.id = c.parent_id;
