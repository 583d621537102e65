-- name: unionViews :stream
-- allow: seqscan golden case over a tiny table
SELECT b.text_value AS maybe, n.text_value AS sure FROM both_texts b, non_null_texts n;
