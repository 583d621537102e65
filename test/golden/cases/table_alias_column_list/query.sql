-- name: aliasList :stream
-- allow: seqscan golden case over a tiny table
SELECT x.a, x.b, b AS bare_b FROM p AS x(b, a);

-- name: aliasListPartial :stream
-- allow: seqscan golden case over a tiny table
SELECT y.first, y.b FROM p AS y(first);
