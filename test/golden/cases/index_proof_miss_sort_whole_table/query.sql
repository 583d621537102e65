-- name: booksByPrice :list
-- order: price, id
SELECT id, title, price FROM books;
