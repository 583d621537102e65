-- name: userWithAlerts :maybe
SELECT u.id, a.id AS alert_id FROM users u JOIN alerts a ON a.user_id = u.id WHERE u.id = :userId;
