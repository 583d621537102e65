-- name: conflicting :one
SELECT id FROM users
WHERE id = :value
  AND email = :value;
