-- name: parentsWithFavorite :list
-- order: id ASC
SELECT p.id, p.name, c.name AS favorite_name
FROM parents p
LEFT JOIN children c ON c.id = p.favorite_child_id;
