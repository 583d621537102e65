-- name: listByPriority :list
-- order: p DESC, id DESC
SELECT id, p FROM s.t;
