-- name: parentsCommaChildren :list
-- order: id ASC
SELECT p.id, c.name AS child_name
FROM parents p, children c
WHERE c.parent_id = p.id;
