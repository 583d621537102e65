-- name: parentRow :one
SELECT id FROM users WHERE id = :userId;

-- include: parentRow.alert :one
SELECT a.id FROM alerts a WHERE a.user_id = parent.id;
