-- name: alertsByTitle :list
-- order: created_at DESC, id DESC
SELECT id, title, created_at FROM alerts WHERE title = :title;
