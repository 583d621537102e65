-- name: updateT :one
-- allow: seqscan golden case over a tiny table
UPDATE t SET b = NULL, s = s || '!' WHERE id = 1
RETURNING id, a, b, s, old.s AS old_s, new.s AS new_s, old.b AS old_b;
