-- name: starUsing :stream
-- allow: seqscan golden case over a tiny table
SELECT * FROM l JOIN r USING (id), generate_series(1, 2) AS g;

-- name: starLeftUsing :stream
-- allow: seqscan golden case over a tiny table
SELECT * FROM l LEFT JOIN r USING (id), jsonb_array_elements_text('["a", null]') AS j;
