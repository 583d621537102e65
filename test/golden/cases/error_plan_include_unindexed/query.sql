-- name: projectById :one
SELECT id, name FROM projects WHERE id = :projectId;

-- include: projectById.recentTasks :many limit 5
-- order: created_at DESC, id DESC
SELECT t.id, t.title, t.created_at FROM tasks t WHERE t.project_id = parent.id;
