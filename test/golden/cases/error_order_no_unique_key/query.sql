-- name: listLines :list
-- order: at DESC, id DESC
SELECT id, at FROM log_lines;
