-- name: relations :stream
-- allow: seqscan golden case over a tiny table
SELECT c.relname, c.relkind, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'marker';
