-- name: cteBasic :stream
-- allow: seqscan golden case over a tiny table
WITH x AS (SELECT id, a, b FROM t) SELECT x.id, x.a, x.b, y.v FROM x LEFT JOIN u y ON y.t_id = x.id;
