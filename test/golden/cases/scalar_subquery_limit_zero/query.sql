-- name: countSubqueries :stream
-- allow: seqscan golden case over a tiny table
SELECT (SELECT count(*) FROM u) AS plain, (SELECT count(*) FROM u LIMIT 0) AS limit_zero,
       (SELECT count(*) FROM u OFFSET 1) AS offset_one, (SELECT count(*) FROM u LIMIT 1) AS limit_one,
       (SELECT count(*) FROM u OFFSET 0) AS offset_zero, (SELECT count(*) FROM u LIMIT ALL) AS limit_all,
       (SELECT count(*) FROM e) AS empty_table
FROM t;
