-- name: gapColumns :stream
-- allow: seqscan golden case over a tiny table
SELECT * FROM gaps;

-- name: gapAlias :stream
-- allow: seqscan golden case over a tiny table
SELECT g.x, g.y, g.z FROM gaps AS g(x, y, z);
