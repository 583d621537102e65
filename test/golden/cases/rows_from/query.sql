-- name: rowsFrom :stream
-- allow: seqscan golden case over a tiny table
SELECT x, y, o FROM ROWS FROM (generate_series(1, 3), generate_series(1, 2)) WITH ORDINALITY AS r(x, y, o);
