-- name: booksOnSale :list
-- order: created_at, id
SELECT id, title, created_at FROM books WHERE on_sale @> :at::timestamptz;
