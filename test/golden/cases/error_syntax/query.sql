-- name: badSyntax :exec
UPDATE users
SET full_name = = 'x'
WHERE id = :userId;
