-- name: arrays :stream
-- allow: seqscan golden case over a tiny table
SELECT ARRAY[a, b] AS pair, ARRAY(SELECT w FROM u) AS ws, ARRAY[]::int[] AS none, (ARRAY[a, b])[2] AS second FROM t;
