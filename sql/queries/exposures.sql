-- name: listExposures :list
-- order: created_at DESC, id DESC
SELECT id, broker_id, status, data_types, created_at, removed_at
FROM exposures
WHERE user_id = :userId
  AND (:status?::exposure_status IS NULL OR status = :status?);
