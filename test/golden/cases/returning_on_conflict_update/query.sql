-- name: upsertT :one
-- allow: seqscan golden case over a tiny table
INSERT INTO t (id, a, s, j, arr, ts) VALUES (1, 99, 'z', '{}', '{}', now())
ON CONFLICT (id) DO UPDATE SET a = excluded.a, b = NULL
RETURNING id, a, b, s, old.a AS old_a;
