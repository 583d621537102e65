-- name: casts2 :stream
-- allow: seqscan golden case over a tiny table
SELECT (j -> 'k')::int AS json_int, ('null'::jsonb)::boolean AS json_null_bool, ts::time AS ts_time, ts::date AS ts_date,
       ts::text AS ts_text, '12:00'::time AS literal_time, (j -> 'k')::text AS json_text, now()::time AS now_time
FROM t;
