-- name: latestAlert :maybe
SELECT id, title FROM alerts WHERE user_id = :userId ORDER BY created_at DESC LIMIT 1;
