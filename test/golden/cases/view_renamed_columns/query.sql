-- name: renamedView :stream
-- allow: seqscan golden case over a tiny table
SELECT x, y FROM renamed;
