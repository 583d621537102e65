-- name: anyArray :stream
-- allow: seqscan golden case over a tiny table
SELECT a = ANY(arr) AS in_column_array, a = ANY(ARRAY[1, 2]) AS in_literal, a = ANY(ARRAY[1, b]) AS in_nullable_literal,
       a = ANY('{1,NULL}'::int[]) AS in_text_literal, a <> ALL(arr) AS not_in_array, a = ANY(ARRAY[]::int[]) AS in_empty
FROM t;
