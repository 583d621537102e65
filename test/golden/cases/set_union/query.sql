-- name: unionBranches :stream
-- allow: seqscan golden case over a tiny table
SELECT a, s FROM t UNION SELECT b, w FROM t JOIN u ON u.t_id = t.id;
