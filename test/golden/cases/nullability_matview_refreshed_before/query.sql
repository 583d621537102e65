-- name: snapshot :stream
-- allow: seqscan golden case over a tiny table
SELECT id, amount FROM price_snapshot;
