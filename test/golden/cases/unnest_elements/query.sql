-- name: elements :stream
-- allow: seqscan golden case over a tiny table
SELECT t.id, x, i FROM t, unnest(t.arr) WITH ORDINALITY AS z(x, i);

-- name: elementsBare :stream
-- allow: seqscan golden case over a tiny table
SELECT u AS element FROM t, unnest(t.arr) AS u;
