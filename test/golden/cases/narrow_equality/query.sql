-- name: equalities :stream
-- allow: seqscan golden case over a tiny table
SELECT b, n, w FROM t JOIN u ON u.t_id = t.id WHERE b = 5 AND n LIKE 'n%' AND w IN ('a', 'w2');

-- name: comparisons :stream
-- allow: seqscan golden case over a tiny table
SELECT b, n FROM t WHERE b > 1 AND n BETWEEN 'a' AND 'z';
