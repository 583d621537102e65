-- name: escapeByCteLimit :stream
-- The LIMIT sees every owner's rows before the outer filter removes them.
WITH t AS (SELECT id, user_id, title FROM tasks ORDER BY id LIMIT 10) SELECT id, title FROM t WHERE user_id = :userId;
