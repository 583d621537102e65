-- name: getDashboard :one
-- budget: 20ms
-- cache: 30s
-- replica: ok
-- One statement: the profile, the subscription, the counters kept on write (sql/schema/002), the five
-- newest alerts each with its exposure and that exposure's broker, and the latest scan.
SELECT u.id AS user_id,
       u.email,
       u.full_name,
       u.phone,
       u.created_at AS member_since,
       s.plan AS subscription_plan,
       s.status AS subscription_status,
       s.current_period_end,
       c.exposures_detected,
       c.exposures_removal_requested,
       c.exposures_removed,
       c.exposures_reappeared,
       c.unread_alerts,
       c.total_alerts
FROM users u
JOIN user_counters c ON c.user_id = u.id
LEFT JOIN subscriptions s ON s.user_id = u.id
WHERE u.id = :userId;

-- include: getDashboard.recentAlerts :many limit 5
-- order: created_at DESC, id DESC
SELECT a.id, a.kind, a.severity, a.title, a.created_at, a.read_at, a.exposure_id
FROM alerts a
WHERE a.user_id = parent.user_id;

-- include: getDashboard.recentAlerts.exposure :one
SELECT e.id, e.status, e.data_types, e.created_at, e.removed_at, e.broker_id
FROM exposures e
WHERE e.id = parent.exposure_id AND e.user_id = :userId;

-- include: getDashboard.recentAlerts.exposure.broker :one
SELECT b.id, b.name, b.domain, b.opt_out_url
FROM data_brokers b
WHERE b.id = parent.broker_id;

-- include: getDashboard.latestScan :one
SELECT sc.id, sc.status, sc.created_at, sc.started_at, sc.finished_at, sc.found_count
FROM scans sc
WHERE sc.user_id = parent.user_id
ORDER BY sc.created_at DESC, sc.id DESC
LIMIT 1;
