-- name: trickyText :one
-- Strings, comments, dollar quotes and casts that look like params are left alone.
SELECT ':notParam' AS quoted,
       $$ :alsoNot $$ AS dollar,
       $tag$ it's :fine $tag$ AS tagged,
       id::text AS id_text, -- :comment
       /* :block */ email
FROM users
WHERE id = :userId AND email <> E'\':escaped';
