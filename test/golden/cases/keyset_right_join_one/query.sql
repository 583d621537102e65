-- name: favoriteRightJoinParents :list
-- order: id DESC
SELECT p.id, p.name, c.name AS favorite_name
FROM children c
RIGHT JOIN parents p ON c.id = p.favorite_child_id;
