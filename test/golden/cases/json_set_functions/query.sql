-- name: jsonElements :stream
-- allow: seqscan golden case over a tiny table
SELECT e.value AS element, et.value AS element_text FROM jsonb_array_elements('[1, null]') AS e, jsonb_array_elements_text('["a", null]') AS et;

-- name: jsonEach :stream
-- allow: seqscan golden case over a tiny table
SELECT t.id, kv.key, kv.value, kt.value AS value_text FROM t, jsonb_each(t.j) AS kv, jsonb_each_text(t.j) AS kt;
