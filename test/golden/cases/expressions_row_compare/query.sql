-- name: rows :stream
-- allow: seqscan golden case over a tiny table
SELECT ROW(a, b) = ROW(10, 5) AS nullable_compare, ROW(a, s) = ROW(10, 'x') AS sure_compare, ROW(a, b) AS pair FROM t;
