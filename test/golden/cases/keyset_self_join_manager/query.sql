-- name: employeesWithManager :list
-- order: id ASC
SELECT e.id, e.name, m.name AS manager_name
FROM employees e
LEFT JOIN employees m ON m.id = e.manager_id;
