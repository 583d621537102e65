-- name: insertForOthers :exec
INSERT INTO notes (id, user_id, project_id, body) SELECT t.id, t.user_id, t.project_id, t.title FROM tasks t WHERE t.id = :id AND :userId::bigint > 0;
