-- name: brokersByName :list
-- order: name ASC
SELECT id, name, opt_out_url FROM data_brokers;
