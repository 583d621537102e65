-- name: user :one
SELECT id FROM users WHERE id = :userId;

-- name: userJson :one
SELECT email FROM users WHERE id = :userId;

-- name: userInput :exec
UPDATE users SET full_name = NULL WHERE id = :userId;
