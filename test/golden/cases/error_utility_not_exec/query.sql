-- name: refreshOne :one
REFRESH MATERIALIZED VIEW mv;
