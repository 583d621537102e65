-- name: builders :stream
-- allow: seqscan golden case over a tiny table
SELECT jsonb_build_object('a', a, 'b', b) AS obj, json_build_array(b) AS arr, JSON_OBJECT('a': b) AS sql_obj, (SELECT jsonb_agg(x) FROM e) AS agg FROM t;
