-- name: series :stream
-- allow: seqscan golden case over a tiny table
SELECT g, generate_series(1, 2) AS inline_g FROM generate_series(1, 3) AS g;
