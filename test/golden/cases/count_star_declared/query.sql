-- name: countUsers :one
SELECT count(*) AS users, count(*)::int4 AS users_int FROM users;
