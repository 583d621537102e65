-- name: insertIfAbsent :maybe
-- allow: seqscan golden case over a tiny table
INSERT INTO u (id, t_id, v) VALUES (1, 1, 'again') ON CONFLICT DO NOTHING RETURNING id, v, w;
