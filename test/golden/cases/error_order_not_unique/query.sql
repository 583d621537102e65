-- name: notUnique :list
-- order: created_at DESC
SELECT id, created_at FROM alerts WHERE user_id = :userId;
