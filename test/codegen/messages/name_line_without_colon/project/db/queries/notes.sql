-- name noteBody :one
SELECT body FROM notes WHERE id = :id;
