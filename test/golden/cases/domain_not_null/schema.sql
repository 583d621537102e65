-- A NOT NULL domain makes a column non-null; a domain maps as its base type.
CREATE DOMAIN posint AS int NOT NULL CHECK (VALUE > 0);
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE DOMAIN money8 AS numeric(12, 2);
CREATE TABLE d (id int PRIMARY KEY, qty posint, contact email, required email NOT NULL, price money8);
INSERT INTO d VALUES (1, 3, NULL, 'a@b', NULL);
