-- name: brokersInCategory :list
-- order: name ASC
-- allow: seqscan data_brokers is a lookup table of a few hundred rows
SELECT id, name FROM data_brokers WHERE category = :category;
