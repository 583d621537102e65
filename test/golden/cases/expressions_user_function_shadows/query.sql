-- name: shadowed :stream
-- allow: seqscan golden case over a tiny table
SELECT upper(a) AS user_upper, pg_catalog.upper(s) AS builtin_upper, lower(s) AS lowered FROM t;
