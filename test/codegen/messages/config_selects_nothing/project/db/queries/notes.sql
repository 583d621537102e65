-- name: noteById :maybe
SELECT id, body FROM notes WHERE id = :id;

-- name: listNotes :list
-- order: created_at DESC, id DESC
SELECT id, body, created_at FROM notes WHERE owner_id = :ownerId;
