-- A list ordered by an enum of another schema, with a same-named decoy enum in public whose labels sort the other
-- way: the keyset cast must name s.prio by its schema, whatever the connection's search_path.
-- walk search_path: elsewhere
CREATE SCHEMA s;
CREATE SCHEMA elsewhere;
CREATE TYPE s.prio AS ENUM ('low', 'mid', 'high');
CREATE TYPE public.prio AS ENUM ('high', 'mid', 'low');
CREATE TABLE s.t (id bigint PRIMARY KEY, owner bigint NOT NULL, p s.prio NOT NULL);
CREATE INDEX ON s.t (p DESC, id DESC);
INSERT INTO s.t (id, owner, p) VALUES (1, 1, 'low'), (2, 1, 'high'), (3, 1, 'mid'), (4, 1, 'high'), (5, 1, 'low'), (6, 1, 'mid'), (7, 1, 'high');
