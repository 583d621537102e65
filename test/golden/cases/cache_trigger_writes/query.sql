-- name: addAlert :exec
INSERT INTO alerts (user_id, kind, severity, title, body) VALUES (:userId, 'breach', 'high', 'title', 'body');

-- name: readAlert :exec
UPDATE alerts SET read_at = now() WHERE id = :alertId AND user_id = :userId;

-- name: renameUser :exec
UPDATE users SET full_name = :fullName WHERE id = :userId;
