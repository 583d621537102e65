-- name: nestedSets :stream
-- allow: seqscan golden case over a tiny table
(SELECT a FROM t UNION SELECT b FROM t) INTERSECT (SELECT a FROM t EXCEPT SELECT b FROM t);
