-- name: renameBroker :one
-- replica: ok
UPDATE data_brokers SET name = :name WHERE id = :id RETURNING id, name;
