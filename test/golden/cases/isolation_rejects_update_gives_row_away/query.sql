-- name: giveTaskAway :exec
UPDATE tasks SET user_id = :other WHERE id = :id AND user_id = :userId;
