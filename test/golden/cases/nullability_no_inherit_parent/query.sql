-- name: allReadings :stream
-- allow: seqscan golden case over a tiny table
SELECT id, value, unit FROM readings;
