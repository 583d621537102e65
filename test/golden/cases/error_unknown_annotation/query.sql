-- name: annotated :one
-- cahce: 5m
SELECT id FROM users WHERE id = :userId;
