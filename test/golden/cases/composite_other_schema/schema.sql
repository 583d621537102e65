-- A composite type in a non-public schema arrives as text; its fields are nullable.
CREATE SCHEMA geo;
CREATE TYPE geo.point2 AS (x int, y int);
CREATE TABLE geo.places (id int PRIMARY KEY, at geo.point2 NOT NULL, previous geo.point2);
INSERT INTO geo.places VALUES (1, ROW(1, NULL), NULL);
