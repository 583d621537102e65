-- name: distinctB :stream
-- allow: seqscan golden case over a tiny table
SELECT DISTINCT b, a FROM t;

-- name: groupA :stream
-- allow: seqscan golden case over a tiny table
SELECT a, count(*) AS n, count(b) AS nb, sum(b) AS total, max(s) AS last_s, bool_and(b > 0) AS all_positive, string_agg(n, ',') AS ns, array_agg(b) AS bs FROM t GROUP BY a;
