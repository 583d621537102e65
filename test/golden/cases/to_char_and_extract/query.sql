-- name: dateParts :stream
-- allow: seqscan golden case over a tiny table
SELECT to_char(ts, '') AS formatted, extract(day FROM ts) AS day, date_part('day', ts) AS day_part,
       date_trunc('day', ts) AS truncated
FROM t;
