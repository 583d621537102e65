-- name: createScan :one
INSERT INTO scans (user_id, status) VALUES (:userId, 'queued')
RETURNING id, status, created_at, started_at;
