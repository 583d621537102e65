-- name: exposuresWithBroker :list
-- order: created_at DESC, id DESC
SELECT e.id, e.created_at, b.name AS broker_name, b.opt_out_url
FROM exposures e
JOIN data_brokers b ON b.id = e.broker_id
WHERE e.user_id = :userId;
