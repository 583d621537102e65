-- name: flagged :stream
-- allow: seqscan golden case over a tiny table
SELECT f, g, h FROM flags WHERE f AND g IS FALSE AND h IS NOT FALSE;
