-- name: escapeBySubquery :stream
SELECT id FROM tasks WHERE user_id = :userId AND project_id IN (SELECT project_id FROM notes WHERE body = :body);
