-- name: renameUser :one
UPDATE users SET full_name = :fullName WHERE id = :userId RETURNING id, full_name, phone;
