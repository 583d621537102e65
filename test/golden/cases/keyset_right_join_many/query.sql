-- name: childrenRightJoinParents :list
-- order: id DESC
SELECT p.id, p.name, c.name AS child_name
FROM children c
RIGHT JOIN parents p ON c.parent_id = p.id;
