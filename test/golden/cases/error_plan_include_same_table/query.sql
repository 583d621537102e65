-- name: listTasks :list
-- order: created_at DESC, id DESC
SELECT t.id, t.title, t.created_at FROM tasks t WHERE t.project_id = :projectId;

-- include: listTasks.children :many limit 5
-- order: created_at DESC, id DESC
SELECT c.id, c.title, c.created_at FROM tasks c WHERE c.parent_id = parent.id;
