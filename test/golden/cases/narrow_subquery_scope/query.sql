-- name: scoped :stream
-- allow: seqscan golden case over a tiny table
SELECT x.b, t.b AS outer_b FROM t, LATERAL (SELECT b FROM t AS t2 WHERE t2.b IS NOT NULL AND t2.id = t.id) AS x;
