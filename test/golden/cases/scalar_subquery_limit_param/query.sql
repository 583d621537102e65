-- name: countLimitParam :stream
-- allow: seqscan golden case over a tiny table
SELECT (SELECT count(*) FROM u LIMIT :n::int8) AS limited, (SELECT count(*) FROM u) AS unlimited
FROM t;
