-- name: twice :one
SELECT id FROM users WHERE id = :userId;

-- name: twice :one
SELECT email FROM users WHERE id = :userId;
