-- name: intersected :stream
-- allow: seqscan golden case over a tiny table
SELECT b FROM t INTERSECT SELECT a FROM t;
