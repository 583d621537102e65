-- name: outerAggregate :stream
-- allow: seqscan golden case over a tiny table
SELECT (SELECT count(t.a) FROM u WHERE false) AS outer_count, (SELECT count(u.id) FROM u WHERE false) AS inner_count
FROM t;
