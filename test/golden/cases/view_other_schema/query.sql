-- name: summary :stream
-- allow: seqscan golden case over a tiny table
SELECT id, s, u_count FROM reporting.summary;
