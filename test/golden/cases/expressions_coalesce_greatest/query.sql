-- name: coalesces :stream
-- allow: seqscan golden case over a tiny table
SELECT coalesce(b, a) AS b_or_a, coalesce(b, n::int) AS both_nullable, greatest(b, a) AS greatest_sure, least(b, NULL) AS least_nullable FROM t;
