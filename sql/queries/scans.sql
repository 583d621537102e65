-- name: listScans :list
-- replica: ok
-- budget: 10ms
-- order: created_at DESC, id DESC
SELECT id, status, created_at, started_at, finished_at, found_count
FROM scans
WHERE user_id = :userId;
