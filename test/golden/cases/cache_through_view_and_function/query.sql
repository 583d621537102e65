-- name: highScorerCount :one
-- cache: 1m
-- allow: seqscan golden case over tiny tables
SELECT count(*) AS n FROM high_scores;

-- name: bestOf :one
-- cache: 1m
SELECT best(:player) AS best;

-- name: eventsIn2024 :one
-- cache: 1m
-- allow: seqscan golden case over a tiny partition
SELECT count(*) AS n FROM events_2024;

-- name: addEvent :exec
INSERT INTO events_2024 (id, at) VALUES (:id, '2024-02-01');
