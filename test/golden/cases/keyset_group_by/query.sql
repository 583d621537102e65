-- name: parentsChildCount :list
-- order: id ASC
SELECT p.id, p.name, count(c.id) AS children
FROM parents p
LEFT JOIN children c ON c.parent_id = p.id
GROUP BY p.id;
