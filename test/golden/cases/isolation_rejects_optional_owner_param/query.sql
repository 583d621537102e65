-- name: maybeMine :stream
SELECT id, title FROM tasks WHERE user_id = :userId?;
