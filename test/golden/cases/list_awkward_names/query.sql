-- name: awkwardNames :list
-- order: created_at DESC, id DESC
SELECT id, title AS "__proto__", body AS "say ""hi""", read_at AS "constructor", created_at FROM alerts WHERE user_id = :userId;
