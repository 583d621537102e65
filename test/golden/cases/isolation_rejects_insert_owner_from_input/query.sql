-- name: insertForAnyone :exec
INSERT INTO notes (id, user_id, project_id, body) VALUES (:id, :owner, :projectId, :body);
