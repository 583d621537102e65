-- name: taskById :stream
SELECT id, title FROM tasks WHERE id = :id;
