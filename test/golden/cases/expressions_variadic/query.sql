-- name: variadics :stream
-- allow: seqscan golden case over a tiny table
SELECT concat(VARIADIC ARRAY[s, n]) AS sure_array, concat(VARIADIC NULL::text[]) AS null_array FROM t;
