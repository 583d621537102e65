-- name: cachedAlerts :list
-- order: created_at DESC, id DESC
-- cache: 30s
SELECT id, created_at FROM alerts WHERE user_id = :userId;

-- name: cachedBrokers :list
-- order: name ASC
-- cache: 5m
SELECT id, name FROM data_brokers;

-- name: readOne :exec
UPDATE alerts SET read_at = now() WHERE id = :alertId AND user_id = :userId;

-- name: readAnyone :exec
UPDATE alerts SET read_at = now() WHERE id = :alertId;

-- name: addScan :exec
INSERT INTO scans (user_id) VALUES (:userId);
