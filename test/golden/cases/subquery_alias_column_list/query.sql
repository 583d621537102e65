-- name: subqueryAliases :stream
-- allow: seqscan golden case over a tiny table
SELECT q.x, q.y FROM (SELECT b, a FROM t) AS q(x, y);
