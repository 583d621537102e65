-- name: fullUsing :stream
-- allow: seqscan golden case over a tiny table
SELECT id, lv, rv FROM l FULL JOIN r USING (id);

-- name: fullUsingStar :stream
-- allow: seqscan golden case over a tiny table
SELECT * FROM l FULL JOIN r USING (id);
