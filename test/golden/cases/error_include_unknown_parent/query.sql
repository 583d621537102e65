-- name: real :one
SELECT id FROM users WHERE id = :userId;

-- include: missing.things :one
SELECT 1 AS x;
