-- name: annotated :one
-- not-null: upper_email
SELECT upper(email || '') AS upper_email, nullif(email, '') AS maybe_email
FROM users WHERE id = :userId;
