-- name: starGap :stream
-- allow: seqscan golden case over a tiny table
SELECT * FROM l JOIN r USING (id), jsonb_populate_record(NULL::pair, '{"x": 1}') AS f, tail;
