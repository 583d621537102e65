-- name: zipped :stream
-- allow: seqscan golden case over a tiny table
SELECT x, y FROM unnest(ARRAY[1, 2, 3], ARRAY['a']) AS z(x, y);
