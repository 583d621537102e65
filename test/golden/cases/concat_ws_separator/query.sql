-- name: concatenations :stream
-- allow: seqscan golden case over a tiny table
SELECT concat_ws(',', s, n) AS joined, concat_ws(n, s, 'z') AS nullable_separator, concat(n, n) AS concat_nulls,
       s || n AS pipe_nullable, s || 'x' AS pipe, format('%s-%s', s, n) AS formatted
FROM t;
