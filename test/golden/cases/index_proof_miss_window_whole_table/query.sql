-- name: rankedBooks :list
-- order: created_at, id
SELECT id, title, created_at, rank() OVER (ORDER BY price DESC) AS price_rank FROM books;
