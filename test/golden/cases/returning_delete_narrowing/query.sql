-- name: deleteWithW :stream
-- allow: seqscan golden case over a tiny table
DELETE FROM u WHERE w IS NOT NULL RETURNING id, v, w, old.w AS old_w, new.w AS new_w;
