-- name: events :stream
-- allow: seqscan golden case over a tiny table
SELECT id, at, note FROM events;
