-- name: jsonOperators :stream
-- allow: seqscan golden case over a tiny table
SELECT j -> 'k' AS arrow, j ->> 'k' AS arrow_text, j #> '{k}' AS path, j #>> '{k}' AS path_text,
       j @> '{}' AS contains, j ? 'k' AS has_key, j - 'k' AS without_k, j || '{"z": 1}' AS merged
FROM t;
