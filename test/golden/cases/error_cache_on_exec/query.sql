-- name: cachedWrite :exec
-- cache: 1m
UPDATE users SET updated_at = now() WHERE id = :userId;
