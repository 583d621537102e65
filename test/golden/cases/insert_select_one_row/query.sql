-- name: snapshotStats :one
-- allow: seqscan an aggregate over a tiny golden table
WITH totals AS (SELECT count(*) AS n, sum(total) AS revenue FROM orders)
INSERT INTO order_stats (orders, revenue) SELECT n, revenue FROM totals RETURNING id, orders, revenue;

-- name: copyOrder :maybe
INSERT INTO order_stats (orders, revenue) SELECT 1, total FROM orders WHERE id = :id RETURNING id;
