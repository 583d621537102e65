-- name: booksByTitle :list
-- order: created_at DESC, id DESC
SELECT id, title, created_at FROM books WHERE title = :title;
