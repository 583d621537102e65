-- name: touch :exec
UPDATE users SET updated_at = now() WHERE id = :userId;

-- include: touch.alerts :many limit 2
-- order: id DESC
SELECT a.id FROM alerts a WHERE a.user_id = parent.id;
