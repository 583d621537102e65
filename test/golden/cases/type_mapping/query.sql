-- name: allTypes :one
SELECT e.id,
       e.status,
       e.data_types,
       e.created_at,
       e.removed_at,
       (e.removed_at IS NOT NULL) AS removed,
       e.broker_id::int4 AS broker_number,
       1.50::numeric AS price,
       json_build_object('id', e.id) AS as_json,
       '{"a":1}'::jsonb AS as_jsonb,
       ARRAY[e.status] AS statuses,
       2.5::float8 AS ratio
FROM exposures e
WHERE e.id = :exposureId;
