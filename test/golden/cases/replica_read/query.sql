-- name: brokerById :maybe
-- replica: ok
SELECT id, name FROM data_brokers WHERE id = :id;
