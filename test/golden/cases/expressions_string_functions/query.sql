-- name: strings :stream
-- allow: seqscan golden case over a tiny table
SELECT lower(s) AS lowered, length(s) AS len, substr(s, 2) AS tail, replace(s, 'x', 'y') AS replaced,
       split_part(s, ',', 2) AS part, regexp_replace(s, 'x', 'y') AS regex_replaced, regexp_match(s, 'x') AS matched,
       substring(s from 'x') AS regex_substring, left(n, 1) AS nullable_left, md5(s) AS hashed, to_jsonb(a) AS as_json
FROM t;
