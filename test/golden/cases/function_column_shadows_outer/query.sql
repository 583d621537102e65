-- name: nicknames :stream
-- allow: seqscan golden case over a tiny table
SELECT p.id, x.name AS nick
FROM people p, LATERAL (SELECT name FROM jsonb_to_record(p.extra) AS r(name text)) AS x;

-- name: populated :stream
-- allow: seqscan golden case over a tiny table
SELECT p.id, (SELECT name FROM jsonb_populate_record(NULL::people, p.extra)) AS nick
FROM people p;
