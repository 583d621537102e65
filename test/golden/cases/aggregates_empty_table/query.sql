-- name: emptyAggregates :one
-- allow: seqscan golden case over a tiny table
SELECT count(*) AS n, count(x) AS nx, sum(x) AS total, max(x) AS biggest, array_agg(x) AS xs, json_agg(x) AS js FROM e;
