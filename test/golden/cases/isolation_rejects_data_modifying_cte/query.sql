-- name: escapeByWritingCte :stream
WITH gone AS (DELETE FROM notes WHERE id = :id RETURNING id)
SELECT id FROM tasks WHERE user_id = :userId;
