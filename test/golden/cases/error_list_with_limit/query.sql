-- name: ownLimit :list
-- order: created_at DESC, id DESC
SELECT id, created_at FROM alerts WHERE user_id = :userId LIMIT 10;
