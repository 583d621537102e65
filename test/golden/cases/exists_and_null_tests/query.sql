-- name: flags :one
SELECT EXISTS (SELECT 1 FROM alerts a WHERE a.user_id = u.id AND a.read_at IS NULL) AS has_unread,
       u.phone IS NULL AS no_phone,
       u.phone IS NOT DISTINCT FROM NULL AS same,
       u.phone = '1' AS phone_is_one
FROM users u
WHERE u.id = :userId;
