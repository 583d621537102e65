-- name: getDashboard :one
-- budget: 100ms
SELECT u.id AS user_id,
       u.full_name,
       s.status AS subscription_status,
       (SELECT count(*) FROM exposures e WHERE e.user_id = u.id AND e.status = 'detected')::int4 AS exposures_detected,
       (SELECT count(*) FROM exposures e WHERE e.user_id = u.id AND e.status = 'removal_requested')::int4 AS exposures_removal_requested,
       (SELECT count(*) FROM exposures e WHERE e.user_id = u.id AND e.status = 'removed')::int4 AS exposures_removed,
       (SELECT count(*) FROM exposures e WHERE e.user_id = u.id AND e.status = 'reappeared')::int4 AS exposures_reappeared,
       (SELECT count(*) FROM alerts a WHERE a.user_id = u.id AND a.read_at IS NULL)::int4 AS unread_alerts,
       ls.id AS latest_scan_id,
       ls.status AS latest_scan_status,
       ls.created_at AS latest_scan_created_at,
       ls.found_count AS latest_scan_found_count
FROM users u
LEFT JOIN subscriptions s ON s.user_id = u.id
LEFT JOIN LATERAL (
  SELECT id, status, created_at, found_count
  FROM scans
  WHERE scans.user_id = u.id
  ORDER BY created_at DESC, id DESC
  LIMIT 1
) ls ON true
WHERE u.id = :userId;
