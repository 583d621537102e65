-- name: alertStats :one
SELECT count(*) AS total,
       count(read_at) AS read,
       sum(length(title)) AS title_chars,
       min(created_at) AS first_at,
       max(created_at) AS last_at,
       avg(length(body)) AS mean_body
FROM alerts
WHERE user_id = :userId;
