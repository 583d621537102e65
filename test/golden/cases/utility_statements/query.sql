-- name: refreshMv :exec
REFRESH MATERIALIZED VIEW mv;

-- name: callBump :exec
CALL bump();

-- name: truncateT :exec
TRUNCATE t;

-- name: notifyIt :exec
NOTIFY chan, 'hello';

-- name: doIt :exec
DO $$ BEGIN PERFORM 1; END $$;

-- name: listenIt :exec
LISTEN chan;
