-- name: escapeByUpdateFrom :exec
UPDATE tasks t SET title = n.body FROM notes n WHERE n.id = :noteId AND t.user_id = :userId AND t.project_id = n.project_id;
