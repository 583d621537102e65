-- name: inner :stream
-- allow: seqscan golden case over a tiny table
SELECT l.lv, l.ln, r.rv, r.rn FROM l JOIN r ON r.l_id = l.id;
