-- name: accounts :stream
-- allow: seqscan golden case over a tiny table
SELECT id, email, nick FROM accounts;

-- name: publicAccounts :stream
-- allow: seqscan golden case over a tiny table
SELECT id, email FROM public.accounts;
