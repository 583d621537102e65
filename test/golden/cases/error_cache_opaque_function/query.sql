-- name: topScore :one
-- cache: 1m
SELECT top_score() AS top;
