-- name: badColumn :one
SELECT id,
       no_such_column
FROM users
WHERE id = :userId;
