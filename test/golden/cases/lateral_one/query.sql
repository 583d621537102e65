-- name: userWithLatestScan :one
SELECT u.id, ls.id AS scan_id, ls.status AS scan_status
FROM users u
LEFT JOIN LATERAL (SELECT id, status FROM scans WHERE scans.user_id = u.id ORDER BY created_at DESC, id DESC LIMIT 1) ls ON true
JOIN subscriptions s ON s.user_id = u.id
WHERE u.id = :userId;
