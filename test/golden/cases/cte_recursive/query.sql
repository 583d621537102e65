-- name: counter :stream
-- allow: seqscan golden case over a tiny table
WITH RECURSIVE r(n, label) AS (SELECT 1, 'start' UNION ALL SELECT n + 1, label FROM r WHERE n < 3) SELECT n, label FROM r;
