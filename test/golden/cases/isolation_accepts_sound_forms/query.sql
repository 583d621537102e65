-- name: plainFilter :stream
SELECT id, title FROM tasks WHERE user_id = :userId AND title <> :title;

-- name: joinOnOwner :stream
SELECT t.id, n.body FROM tasks t JOIN notes n ON n.user_id = t.user_id AND n.project_id = t.project_id WHERE t.user_id = :userId;

-- name: joinThroughCompositeKey :stream
-- tasks (project_id, user_id) references projects (id, user_id): the project of a confined task is the same owner's.
SELECT t.id, p.name FROM tasks t JOIN projects p ON p.id = t.project_id WHERE t.user_id = :userId;

-- name: joinBackThroughCompositeKey :stream
SELECT p.name, t.title FROM projects p JOIN tasks t ON t.project_id = p.id WHERE p.user_id = :userId;

-- name: leftJoinFilteredSide :stream
SELECT t.id, n.body FROM tasks t LEFT JOIN notes n ON n.project_id = t.project_id AND n.user_id = :userId WHERE t.user_id = :userId;

-- name: ownerTable :stream
SELECT u.name, p.name AS project FROM users u JOIN projects p ON p.user_id = u.id WHERE u.id = :userId;

-- name: viewFiltered :stream
SELECT id, title FROM all_tasks WHERE user_id = :userId;

-- name: groupedViewFiltered :stream
SELECT n FROM task_counts WHERE user_id = :userId;

-- name: cteFiltered :stream
WITH mine AS (SELECT id, user_id, title FROM tasks) SELECT id, title FROM mine WHERE user_id = :userId;

-- name: subqueryConfined :stream
SELECT id FROM tasks WHERE user_id = :userId AND project_id IN (SELECT id FROM projects WHERE user_id = :userId);

-- name: correlatedConfined :stream
SELECT t.id FROM tasks t WHERE t.user_id = :userId AND EXISTS (SELECT FROM notes n WHERE n.user_id = t.user_id AND n.project_id = t.project_id);

-- name: derivedTable :stream
SELECT d.id FROM (SELECT id, user_id FROM tasks) d WHERE d.user_id = :userId;

-- name: unionConfined :stream
SELECT id, user_id FROM tasks WHERE user_id = :userId UNION ALL SELECT id, user_id FROM notes WHERE user_id = :userId;

-- name: sharedTable :stream
SELECT id, name FROM tags WHERE name = :name;

-- name: crossOwnerOnPurpose :stream
-- owner: any -- operators' count of tasks per user, served to the admin page only
SELECT user_id, count(*) AS n FROM tasks GROUP BY user_id;

-- name: insertValues :exec
INSERT INTO notes (id, user_id, project_id, body) VALUES (:id, :userId, :projectId, :body);

-- name: insertSelectConfined :exec
INSERT INTO notes (id, user_id, project_id, body) SELECT t.id, t.user_id, t.project_id, t.title FROM tasks t WHERE t.user_id = :userId AND t.id = :id;

-- name: updateConfined :exec
UPDATE tasks SET title = :title WHERE id = :id AND user_id = :userId;

-- name: updateFromConfined :exec
UPDATE tasks t SET title = n.body FROM notes n WHERE n.id = :noteId AND n.user_id = :userId AND t.user_id = :userId AND t.project_id = n.project_id;

-- name: deleteConfined :exec
DELETE FROM notes WHERE id = :id AND user_id = :userId;

-- name: upsertOnOwnerKey :exec
INSERT INTO settings (id, user_id, key, value) VALUES (:id, :userId, :key, :value)
ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value;

-- name: upsertFiltered :exec
INSERT INTO settings (id, user_id, key, value) VALUES (:id, :userId, :key, :value)
ON CONFLICT (id) DO UPDATE SET value = excluded.value WHERE settings.user_id = :userId;

-- name: writingCteConfined :stream
WITH gone AS (DELETE FROM notes WHERE id = :id AND user_id = :userId RETURNING id, user_id)
SELECT g.id FROM gone g;
