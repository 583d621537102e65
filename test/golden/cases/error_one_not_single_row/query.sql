-- name: manyAsOne :one
SELECT id FROM alerts WHERE user_id = :userId;
