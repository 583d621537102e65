-- name: deleteTask :exec
DELETE FROM tasks WHERE id = :id;
