-- name: archiveU :stream
-- allow: seqscan golden case over a tiny table
WITH gone AS (DELETE FROM u WHERE w IS NULL RETURNING id, t_id, v, w)
SELECT gone.id, gone.v, gone.w, t.s FROM gone JOIN t ON t.id = gone.t_id;
