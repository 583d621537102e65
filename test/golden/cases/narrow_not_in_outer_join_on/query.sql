-- name: onClause :stream
-- allow: seqscan golden case over a tiny table
SELECT t.id, u.w FROM t LEFT JOIN u ON u.t_id = t.id AND u.w IS NOT NULL;
