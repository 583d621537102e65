-- name: booksByMeta :list
-- order: created_at, id
SELECT id, title, created_at FROM books WHERE meta @> :meta::jsonb;
