-- name: getUser :one
SELECT id, email, phone, created_at FROM users WHERE id = :userId;
