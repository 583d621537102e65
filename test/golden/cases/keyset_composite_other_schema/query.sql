-- name: listByVersion :list
-- order: v DESC, id DESC
SELECT id, v FROM s.releases;
