-- name: jsonTable :stream
-- allow: seqscan golden case over a tiny table
SELECT t.id, jt.k FROM t, JSON_TABLE(t.j, '$' COLUMNS (k int PATH '$.k')) AS jt;
