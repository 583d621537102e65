-- name: userCast :stream
-- allow: seqscan golden case over a tiny table
SELECT a::box2 AS boxed, a::text AS texted FROM t;
