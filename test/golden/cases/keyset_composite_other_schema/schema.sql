-- A list ordered by a composite of another schema, with a same-named decoy composite in public of other fields.
-- walk search_path: elsewhere
CREATE SCHEMA s;
CREATE SCHEMA elsewhere;
CREATE TYPE s.version AS (major int, minor int);
CREATE TYPE public.version AS (major text, minor text);
CREATE TABLE s.releases (id bigint PRIMARY KEY, v s.version NOT NULL);
CREATE INDEX ON s.releases (v DESC, id DESC);
INSERT INTO s.releases (id, v) VALUES (1, ROW(1, 2)), (2, ROW(1, 10)), (3, ROW(1, 2)), (4, ROW(2, 0)), (5, ROW(1, 10)), (6, ROW(0, 9));
