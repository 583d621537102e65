-- name: contact :one
SELECT coalesce(phone, email) AS contact,
       coalesce(phone, NULL) AS maybe_phone,
       coalesce(s.plan::text, 'none') AS plan
FROM users u LEFT JOIN subscriptions s ON s.user_id = u.id
WHERE u.id = :userId;
