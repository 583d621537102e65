-- name: escapeByJoin :stream
-- notes.project_id is a plain foreign key: another user's notes may point at this user's project.
SELECT t.id, n.body FROM tasks t JOIN notes n ON n.project_id = t.project_id WHERE t.user_id = :userId;
