-- other.items and public.items share a name; each resolves to its own columns.
CREATE SCHEMA other;
CREATE TABLE items (id int PRIMARY KEY, x int NOT NULL);
CREATE TABLE other.items (id int PRIMARY KEY, x int);
INSERT INTO items VALUES (1, 1);
INSERT INTO other.items VALUES (1, NULL);
