-- name: arrayFunctions :stream
-- allow: seqscan golden case over a tiny table
SELECT array_length(arr, 1) AS len, array_upper(arr, 1) AS upper_bound, cardinality(arr) AS card,
       array_position(arr, 1) AS pos, array_positions(arr, 1) AS positions, array_append(arr, a) AS appended,
       array_to_string(arr, ',') AS joined, arr[1] AS first_element
FROM t;
