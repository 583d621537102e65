-- name: customerOrderLines :one
SELECT count(DISTINCT o.id) AS orders, count(l.id) AS lines, coalesce(sum(l.amount_cents), 0) AS amount_cents
FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id
WHERE o.customer_id = :customerId;

-- name: customerSummary :maybe
SELECT c.id, c.name, count(o.id) AS orders
FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
WHERE c.id = :customerId
GROUP BY c.id;

-- name: ordersWithLineCounts :list
-- order: created_at DESC, id DESC
SELECT o.id, o.created_at, count(l.id) AS lines
FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id
WHERE o.customer_id = :customerId
GROUP BY o.id, o.created_at;
