-- name: noteById :one
SELECT id, body FROM notes WHERE id = :id;

-- name noteBody :one
SELECT body FROM notes WHERE id = :id;
