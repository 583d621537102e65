-- name: feelings :stream
-- allow: seqscan golden case over a tiny table
SELECT id, mood, history, maybe FROM crm.feelings;

-- name: moodFilter :stream
-- allow: seqscan golden case over a tiny table
SELECT id FROM crm.feelings WHERE mood = :mood;
