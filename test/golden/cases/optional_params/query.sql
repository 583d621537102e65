-- name: filteredExposures :list
-- order: created_at DESC, id DESC
SELECT id, status FROM exposures
WHERE user_id = :userId AND (:status?::exposure_status IS NULL OR status = :status?);
