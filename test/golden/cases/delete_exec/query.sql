-- name: deleteReadAlerts :exec
DELETE FROM alerts WHERE user_id = :userId AND read_at IS NOT NULL;
