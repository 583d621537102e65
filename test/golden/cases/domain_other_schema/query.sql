-- name: orders :stream
-- allow: seqscan golden case over a tiny table
SELECT code, amount, amounts, code::text AS code_text FROM types.orders;
