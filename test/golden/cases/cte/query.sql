-- name: cteNullability :one
WITH latest AS (
  SELECT user_id, max(created_at) AS last_at, count(*) AS n FROM alerts WHERE user_id = :userId GROUP BY user_id
)
SELECT u.id, u.phone, l.last_at, l.n
FROM users u
LEFT JOIN latest l ON l.user_id = u.id
WHERE u.id = :userId;
