-- name: fullJoin :stream
SELECT u.email, s.plan FROM users u FULL JOIN subscriptions s ON s.user_id = u.id;
