-- A cached read is tagged by the stored relations it reads: through a view of a view to its base tables, through a
-- SQL-standard function body (recorded by the catalog) to the table it reads, and through a partition to its root.
CREATE TABLE scores (id int8 PRIMARY KEY, player int8 NOT NULL, points int8 NOT NULL);
CREATE TABLE players (id int8 PRIMARY KEY, name text NOT NULL);
CREATE VIEW player_scores AS SELECT p.id, p.name, s.points FROM players p JOIN scores s ON s.player = p.id;
CREATE VIEW high_scores AS SELECT id, name FROM player_scores WHERE points > 100;
CREATE FUNCTION best(p int8) RETURNS int8 LANGUAGE sql STABLE BEGIN ATOMIC SELECT max(points) FROM scores WHERE player = p; END;
CREATE TABLE events (id int8 NOT NULL, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
