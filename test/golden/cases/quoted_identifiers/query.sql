-- name: quoted :stream
-- allow: seqscan golden case over a tiny table
SELECT "Id", "Note", note, ol."note" AS lower_note FROM "Sales"."Order Lines" AS ol;
