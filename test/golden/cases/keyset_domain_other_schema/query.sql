-- name: listByScore :list
-- order: points ASC, id ASC
SELECT id, points FROM s.results;
