-- name: places :stream
-- allow: seqscan golden case over a tiny table
SELECT id, at, previous, (at).x AS x, ROW(1, 2)::geo.point2 AS made FROM geo.places;
