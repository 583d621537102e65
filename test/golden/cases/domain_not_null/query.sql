-- name: domains :stream
-- allow: seqscan golden case over a tiny table
SELECT qty, contact, required, price FROM d;
