-- name: fromExpressionView :stream
-- allow: seqscan golden case over a tiny table
SELECT id, b0, k, total, ls FROM tx;
