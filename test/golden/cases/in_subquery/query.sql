-- name: inSubquery :stream
-- allow: seqscan golden case over a tiny table
SELECT a IN (SELECT t_id FROM u) AS a_in_fk, a IN (SELECT length(w) FROM u) AS a_in_nullable,
       b IN (SELECT t_id FROM u) AS b_in_fk, a = ALL (SELECT t_id FROM u) AS all_fk,
       EXISTS (SELECT FROM u WHERE u.t_id = t.id) AS has_u
FROM t;
