-- name: exportByPrice :stream
-- allow: sort an export job run once a night
SELECT id, title, price FROM books ORDER BY price;
