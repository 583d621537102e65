-- name: sessionValues :one
-- allow: seqscan golden case over a tiny table
SELECT current_date AS today, current_timestamp AS now_ts, current_user AS who, session_user AS session_who, current_schema AS schema_name, now() AS called_now;
