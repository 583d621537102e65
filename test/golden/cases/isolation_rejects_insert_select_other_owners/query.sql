-- name: copyOthersTitles :exec
INSERT INTO notes (id, user_id, project_id, body) SELECT id, :userId, project_id, title FROM tasks WHERE title = :title;
