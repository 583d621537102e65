-- name: valuesList :stream
-- allow: seqscan golden case over a tiny table
VALUES (1, 'a', NULL::int), (2, NULL, NULL);

-- name: valuesFrom :stream
-- allow: seqscan golden case over a tiny table
SELECT v.x, v.y FROM (VALUES (1, 'a'), (2, NULL)) AS v(x, y);
