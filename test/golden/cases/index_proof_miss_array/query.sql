-- name: booksTagged :list
-- order: created_at, id
SELECT id, title, created_at FROM books WHERE tags && :tags::text[];
