-- name: insertT :one
-- allow: seqscan golden case over a tiny table
INSERT INTO t (id, a, s, j, arr, ts) VALUES (10, 1, 's', '{}', '{}', now())
RETURNING id, a, b, s, old.a AS old_a, new.a AS new_a;
