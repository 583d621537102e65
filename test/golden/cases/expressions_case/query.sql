-- name: cases :stream
-- allow: seqscan golden case over a tiny table
SELECT CASE WHEN a > 10 THEN 'big' END AS no_else, CASE WHEN a > 10 THEN 'big' ELSE 'small' END AS with_else, CASE a WHEN 10 THEN s ELSE n END AS nullable_branch FROM t;
