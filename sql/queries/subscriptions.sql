-- name: getSubscriptionStatus :maybe
-- cache: 1m
SELECT plan, status, current_period_end, updated_at
FROM subscriptions
WHERE user_id = :userId;
