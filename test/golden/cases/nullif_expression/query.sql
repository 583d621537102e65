-- name: nullifs :stream
-- allow: seqscan golden case over a tiny table
SELECT nullif(a, 10) AS a_unless_ten, nullif(s, '') AS s_unless_empty, coalesce(nullif(s, ''), 'none') AS fallback
FROM t;
