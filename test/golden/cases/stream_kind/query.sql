-- name: exportAlerts :stream
SELECT id, title, created_at FROM alerts WHERE user_id = :userId;
