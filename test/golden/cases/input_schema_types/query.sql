-- name: ownerEvents :list
-- order: happened_at DESC, id DESC
SELECT id, level, happened_at FROM events
WHERE owner_id = :ownerId
  AND (:level?::level IS NULL OR level = :level?)
  AND (:since?::timestamptz IS NULL OR happened_at >= :since?)
  AND (:tag?::text IS NULL OR :tag? = ANY(tags));

-- name: addEvent :exec
INSERT INTO events (id, owner_id, level, amount, count, payload, tags, happened_at)
VALUES (:id, :ownerId, :level, :amount, :count, :payload, :tags, :happenedAt);
