-- name: guards :stream
-- allow: seqscan golden case over a tiny table
SELECT lower(label) AS lower_text, upper(span) AS upper_range, lower(span) AS lower_range, lower('X') AS lower_literal,
       route + route AS joined_routes, bits + 1 AS plus_int, bits # 1 AS xor_bits, lower(label || 'x') AS lower_concat
FROM spans;
