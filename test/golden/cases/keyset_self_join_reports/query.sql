-- name: managersWithReports :list
-- order: id ASC
SELECT m.id, m.name, r.name AS report_name
FROM employees m
JOIN employees r ON r.manager_id = m.id;
