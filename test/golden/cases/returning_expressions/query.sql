-- name: returnExpressions :one
-- allow: seqscan golden case over a tiny table
UPDATE t SET b = 1 WHERE id = 2
RETURNING a + 1 AS next_a, b * 2 AS double_b, j ->> 'k' AS k, coalesce(n, s) AS label, (SELECT count(*) FROM u WHERE u.t_id = t.id) AS u_count;
