-- name: recentAlerts :list
-- order: created_at DESC, id DESC
SELECT id, title, created_at FROM alerts WHERE user_id = :userId;
