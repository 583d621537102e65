-- A list ordered by a domain of another schema, with a same-named decoy domain in public over another base type.
-- walk search_path: elsewhere
CREATE SCHEMA s;
CREATE SCHEMA elsewhere;
CREATE DOMAIN s.score AS int CHECK (VALUE >= 0);
CREATE DOMAIN public.score AS text;
CREATE TABLE s.results (id bigint PRIMARY KEY, points s.score NOT NULL);
CREATE INDEX ON s.results (points, id);
INSERT INTO s.results (id, points) VALUES (1, 10), (2, 3), (3, 10), (4, 0), (5, 3), (6, 10), (7, 100);
