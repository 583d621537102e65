-- name: listBrokers :list
-- order: name ASC
SELECT id, name, domain, category, opt_out_url
FROM data_brokers;
