-- name: fromMaterialized :stream
-- allow: seqscan golden case over a tiny table
SELECT id, a, last_v, u_count FROM tm;
