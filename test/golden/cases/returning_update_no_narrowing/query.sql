-- name: clearB :stream
-- allow: seqscan golden case over a tiny table
UPDATE t SET b = NULL WHERE b IS NOT NULL RETURNING id, b;
