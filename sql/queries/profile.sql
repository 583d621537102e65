-- name: getProfile :one
-- budget: 5ms
-- cache: 5m
SELECT id, email, full_name, phone, created_at, updated_at
FROM users
WHERE id = :userId;

-- name: updateProfile :one
-- budget: 10ms
-- Optional params leave the current value in place.
UPDATE users
SET full_name = coalesce(:fullName?, full_name),
    phone = coalesce(:phone?, phone),
    updated_at = now()
WHERE id = :userId
RETURNING id, email, full_name, phone, created_at, updated_at;
