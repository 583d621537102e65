-- name: timeline :stream
SELECT id, title AS label, read_at AS at FROM alerts WHERE user_id = :userId
UNION ALL
SELECT id, status::text, created_at FROM scans WHERE user_id = :userId;
