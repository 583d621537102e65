-- name: renamedOldNew :one
-- allow: seqscan golden case over a tiny table
UPDATE u SET w = 'w' WHERE id = 1 RETURNING WITH (OLD AS o, NEW AS n) o.w AS before, n.w AS after, n.v;
