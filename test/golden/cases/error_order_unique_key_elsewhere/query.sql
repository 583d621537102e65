-- name: listEvents :list
-- order: created_at DESC, id DESC
SELECT id, code, created_at FROM events;
