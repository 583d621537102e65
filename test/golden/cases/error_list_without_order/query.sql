-- name: noOrder :list
SELECT id FROM alerts WHERE user_id = :userId;
