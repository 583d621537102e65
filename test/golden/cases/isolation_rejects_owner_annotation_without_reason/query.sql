-- name: allTasks :stream
-- owner: any
SELECT id, title FROM tasks;
