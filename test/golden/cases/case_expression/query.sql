-- name: caseExpr :one
SELECT CASE WHEN phone IS NULL THEN 'email' END AS without_else,
       CASE WHEN phone IS NULL THEN 'email' ELSE 'phone' END AS with_else,
       CASE WHEN phone IS NULL THEN NULL ELSE 'phone' END AS else_null
FROM users
WHERE id = :userId;
