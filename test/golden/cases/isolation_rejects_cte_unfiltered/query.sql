-- name: escapeByCte :stream
WITH t AS (SELECT id, user_id, title FROM tasks) SELECT id, title FROM t WHERE title = :title AND :userId::bigint > 0;
