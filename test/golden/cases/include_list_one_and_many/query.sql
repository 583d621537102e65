-- name: exposuresWithRelations :list
-- order: created_at DESC, id DESC
SELECT id, broker_id, created_at FROM exposures WHERE user_id = :userId;

-- include: exposuresWithRelations.broker :one
SELECT b.id, b.name, b.opt_out_url FROM data_brokers b WHERE b.id = parent.broker_id;

-- include: exposuresWithRelations.alerts :many limit 3
-- order: created_at DESC, id DESC
SELECT a.id, a.title, a.created_at, a.read_at FROM alerts a WHERE a.exposure_id = parent.id;
