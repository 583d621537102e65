-- A function column in FROM (jsonb_to_record ... AS r(name text)) is nullable; it must not resolve to an outer table's NOT NULL column of the same name.
CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL, extra jsonb NOT NULL);
INSERT INTO people VALUES (1, 'Ada', '{}'), (2, 'Bob', '{"name": "Bobby"}');
