-- name: escapeByLeftJoin :stream
-- The ON of a LEFT JOIN filters only the joined side: every task comes back.
SELECT t.id, t.title, p.name FROM tasks t LEFT JOIN projects p ON p.id = t.project_id AND t.user_id = :userId;
