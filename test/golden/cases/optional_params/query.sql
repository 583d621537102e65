-- name: filteredExposures :list
-- order: created_at DESC, id DESC
SELECT id, status, created_at FROM exposures
WHERE user_id = :userId AND (:status?::exposure_status IS NULL OR status = :status);

-- name: renameUser :one
UPDATE users
SET full_name = coalesce(:fullName?, full_name), phone = coalesce(:phone?, phone)
WHERE id = :userId
RETURNING id, full_name, phone;
