-- name: parentRow :one
SELECT id FROM users WHERE id = :userId;

-- include: parentRow.alerts :many limit 5
SELECT a.id FROM alerts a WHERE a.user_id = parent.id;
