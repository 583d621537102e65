-- name: listAlerts :list
-- replica: ok
-- budget: 10ms
-- order: created_at DESC, id DESC
SELECT id, exposure_id, kind, severity, title, body, created_at, read_at
FROM alerts
WHERE user_id = :userId
  AND (:severity?::alert_severity IS NULL OR severity = :severity?)
  AND (coalesce(:unreadOnly?::boolean, false) = false OR read_at IS NULL);

-- name: markAlertRead :exec
-- budget: 10ms
-- The user_id predicate makes another user's alert id affect nothing.
UPDATE alerts
SET read_at = now()
WHERE id = :alertId AND user_id = :userId AND read_at IS NULL;
