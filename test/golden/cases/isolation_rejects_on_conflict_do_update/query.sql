-- name: escapeByUpsert :exec
-- id is unique across owners: the row already stored under it may be another user's.
INSERT INTO settings (id, user_id, key, value) VALUES (:id, :userId, :key, :value)
ON CONFLICT (id) DO UPDATE SET value = excluded.value;
