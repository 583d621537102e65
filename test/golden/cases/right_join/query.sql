-- name: exposuresRightJoin :list
-- order: created_at DESC, id DESC
SELECT e.id, e.created_at, a.title, e.status
FROM alerts a
RIGHT JOIN exposures e ON e.id = a.exposure_id AND a.user_id = e.user_id
WHERE e.user_id = :userId;
