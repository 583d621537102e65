-- name: innerOn :stream
-- allow: seqscan golden case over a tiny table
SELECT u.w FROM t JOIN u ON u.t_id = t.id AND u.w IS NOT NULL;

-- name: nestedInnerOn :stream
-- allow: seqscan golden case over a tiny table
SELECT x.w FROM e LEFT JOIN (u AS x JOIN t ON t.id = x.t_id AND x.w IS NOT NULL) ON true;
