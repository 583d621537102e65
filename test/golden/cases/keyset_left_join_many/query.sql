-- name: parentsLeftJoinChildren :list
-- order: id ASC
SELECT p.id, p.name, c.name AS child_name
FROM parents p
LEFT JOIN children c ON c.parent_id = p.id;
