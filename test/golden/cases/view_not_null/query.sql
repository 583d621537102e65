-- name: fromView :stream
-- allow: seqscan golden case over a tiny table
SELECT * FROM tv;
