-- name: selfJoin :stream
-- allow: seqscan golden case over a tiny table
SELECT a.lv, b.lv AS other_lv, b.ln FROM l a LEFT JOIN l b ON b.id = a.id + 1;
