-- name: fromJoinView :stream
-- allow: seqscan golden case over a tiny table
SELECT id, s, v, u_id FROM tu;
