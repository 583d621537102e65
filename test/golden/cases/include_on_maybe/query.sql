-- name: subscriptionWithUser :maybe
SELECT id, user_id, plan FROM subscriptions WHERE user_id = :userId;

-- include: subscriptionWithUser.owner :one
SELECT u.id, u.email, u.phone FROM users u WHERE u.id = parent.user_id;
