-- name: listExposures :list
-- replica: ok
-- budget: 25ms
-- order: created_at DESC, id DESC
SELECT id, broker_id, status, data_types, created_at, removed_at
FROM exposures
WHERE user_id = :userId
  AND (:status?::exposure_status IS NULL OR status = :status?);

-- include: listExposures.broker :one
SELECT b.id, b.name, b.domain, b.category, b.opt_out_url
FROM data_brokers b
WHERE b.id = parent.broker_id;

-- include: listExposures.latestAlerts :many limit 3
-- order: created_at DESC, id DESC
SELECT a.id, a.severity, a.title, a.created_at, a.read_at
FROM alerts a
WHERE a.exposure_id = parent.id AND a.user_id = :userId;
