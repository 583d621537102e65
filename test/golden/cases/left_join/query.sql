-- name: alertsWithExposure :list
-- order: created_at DESC, id DESC
SELECT a.id, a.created_at, e.id AS exposure_id, e.status AS exposure_status
FROM alerts a
LEFT JOIN exposures e ON e.id = a.exposure_id
WHERE a.user_id = :userId;
