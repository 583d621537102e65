-- name: inLists :stream
-- allow: seqscan golden case over a tiny table
SELECT a IN (10, 20) AS in_constants, a IN (1, b) AS in_with_nullable, a NOT IN (1, 2) AS not_in, b IN (1, 2) AS nullable_left
FROM t;
