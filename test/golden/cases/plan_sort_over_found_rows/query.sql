-- name: alertsBySeverity :list
-- order: severity ASC, created_at DESC, id ASC
SELECT id, severity, created_at FROM alerts WHERE user_id = :userId;
