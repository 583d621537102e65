-- name: casts :stream
-- allow: seqscan golden case over a tiny table
SELECT a::text AS a_text, b::text AS b_text, '1'::int AS literal, s::varchar(3) AS short, CAST(a AS bigint) AS big FROM t;
