-- name: userOverview :one
SELECT id, email FROM users WHERE id = :userId;

-- include: userOverview.alerts :many limit 5
-- order: created_at DESC, id DESC
SELECT a.id, a.exposure_id, a.created_at FROM alerts a WHERE a.user_id = parent.id AND a.severity >= :minSeverity::alert_severity;

-- include: userOverview.alerts.exposure :one
SELECT e.id, e.status, e.broker_id FROM exposures e WHERE e.id = parent.exposure_id;

-- include: userOverview.alerts.exposure.broker :one
SELECT b.id, b.name FROM data_brokers b WHERE b.id = parent.broker_id;
