-- name: escapeByView :stream
SELECT user_id, n FROM task_counts WHERE n > :min AND :userId::bigint > 0;
