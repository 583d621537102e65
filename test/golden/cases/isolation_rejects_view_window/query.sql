-- name: escapeByWindow :stream
-- The rank counts every owner's tasks.
SELECT id, rank FROM ranked_tasks WHERE user_id = :userId;
