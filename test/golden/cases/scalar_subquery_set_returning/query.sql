-- name: subquerySrf :stream
-- allow: seqscan golden case over a tiny table
SELECT (SELECT count(*) + unnest('{}'::int[]) FROM u) AS srf_beside_count,
       (SELECT generate_series(1, 0)) AS empty_series,
       (SELECT count(*) + 0 FROM u) AS count_plus
FROM t;
