-- name: params :stream
-- allow: seqscan golden case over a tiny table
SELECT :required::int AS required, :optional?::int AS optional, coalesce(:fallback?::text, s) AS fallback FROM t;
