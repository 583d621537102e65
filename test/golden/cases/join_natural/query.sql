-- name: natural :stream
-- allow: seqscan golden case over a tiny table
SELECT * FROM a1 NATURAL JOIN a2;

-- name: naturalLeft :stream
-- allow: seqscan golden case over a tiny table
SELECT * FROM a1 NATURAL LEFT JOIN a2;
