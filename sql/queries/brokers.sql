-- name: listBrokers :list
-- replica: ok
-- budget: 10ms
-- order: name ASC
SELECT id, name, domain, category, opt_out_url
FROM data_brokers;
