-- name: derivedTable :list
-- order: id DESC
SELECT d.id, d.email, d.phone
FROM (SELECT id, email, phone FROM users) AS d;
