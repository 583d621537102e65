-- name: nullableOrder :list
-- order: read_at DESC, id DESC
SELECT id, read_at FROM alerts WHERE user_id = :userId;
