-- name: findSubscription :maybe
SELECT plan, status, current_period_end FROM subscriptions WHERE user_id = :userId;
