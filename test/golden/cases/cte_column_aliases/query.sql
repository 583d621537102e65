-- name: cteAliases :stream
-- allow: seqscan golden case over a tiny table
WITH x(c1, c2) AS (SELECT b, a FROM t) SELECT c1, c2 FROM x;
