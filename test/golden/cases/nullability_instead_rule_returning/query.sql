-- name: placeOrder :one
INSERT INTO orders (id, total) VALUES (1, 100) RETURNING id, total;
