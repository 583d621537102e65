-- name: readAll :exec
UPDATE alerts SET read_at = now() WHERE user_id = :userId AND read_at IS NULL;
