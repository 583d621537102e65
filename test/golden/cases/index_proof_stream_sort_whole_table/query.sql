-- name: exportByPrice :stream
SELECT id, title, price FROM books ORDER BY price;
