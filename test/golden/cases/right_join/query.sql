-- name: exposuresRightJoin :list
-- order: id ASC
SELECT e.id, a.title, e.status
FROM alerts a
RIGHT JOIN exposures e ON e.id = a.exposure_id AND a.user_id = e.user_id
WHERE e.user_id = :userId;
