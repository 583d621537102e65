-- name: subqueryShapes :stream
-- allow: seqscan golden case over a tiny table
SELECT (SELECT 1) AS constant, (SELECT 1 WHERE false) AS filtered_constant, (SELECT max(x) FROM e) AS max_empty,
       (SELECT count(*) FROM u HAVING count(*) > 5) AS having_count, (SELECT count(*) FROM u GROUP BY t_id LIMIT 1) AS grouped,
       (SELECT v FROM u WHERE u.id = t.id) AS by_key, (SELECT a) AS outer_column, (VALUES (1)) AS one_value
FROM t;
