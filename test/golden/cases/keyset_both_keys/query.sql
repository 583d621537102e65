-- name: parentChildPairs :list
-- order: id ASC, child_id ASC
SELECT p.id, c.id AS child_id, c.name AS child_name
FROM parents p
JOIN children c ON c.parent_id = p.id;
