-- name: wholeRows :stream
-- allow: seqscan golden case over a tiny table
SELECT t.id, u AS u_row, to_jsonb(u) AS u_json FROM t LEFT JOIN u ON u.t_id = t.id;
