-- name: viewOfView :stream
-- allow: seqscan golden case over a tiny table
SELECT id, a, b, v FROM v2;
