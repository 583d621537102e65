-- name: scalarSubqueries :one
SELECT u.id,
       (SELECT count(*) FROM alerts a WHERE a.user_id = u.id) AS alert_count,
       (SELECT a.title FROM alerts a WHERE a.user_id = u.id ORDER BY a.created_at DESC LIMIT 1) AS last_title
FROM users u
WHERE u.id = :userId;
