-- name: jsonPath :stream
-- allow: seqscan golden case over a tiny table
SELECT j @? '$.k' AS exists_path, j @@ '$.k == 1' AS matches, jsonb_path_exists(j, '$.k') AS fn
FROM t;
