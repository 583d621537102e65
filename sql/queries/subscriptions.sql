-- name: getSubscriptionStatus :maybe
-- budget: 5ms
-- cache: 1m
SELECT plan, status, current_period_end, updated_at
FROM subscriptions
WHERE user_id = :userId;
