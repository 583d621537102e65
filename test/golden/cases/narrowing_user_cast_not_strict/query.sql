-- name: moodA :stream
-- allow: seqscan golden case over a tiny table
SELECT b.id, b.x FROM b WHERE b.x::mood = 'a';
