-- name: escapeByOr :stream
SELECT id, title FROM tasks WHERE user_id = :userId OR id = :id;
