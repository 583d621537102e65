-- name: orderNotSelected :list
-- order: created_at DESC, id DESC
SELECT id, title FROM alerts WHERE user_id = :userId;
