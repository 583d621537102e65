-- name: cycles :stream
-- allow: seqscan golden case over a tiny table
WITH RECURSIVE walk(src, dst) AS (
  SELECT src, dst FROM edges WHERE src = 1
  UNION ALL
  SELECT e.src, e.dst FROM edges e JOIN walk w ON e.src = w.dst
) CYCLE src SET looped USING trail
SELECT * FROM walk;
