-- A parent's NOT NULL that children do not inherit (NOT NULL NO INHERIT; ALTER TABLE ONLY ... SET NOT NULL): read
-- through the parent, a child's row may hold NULL there, so the column is nullable.
CREATE TABLE readings (id int PRIMARY KEY, value int NOT NULL NO INHERIT, unit text NOT NULL);
CREATE TABLE readings_raw () INHERITS (readings);
INSERT INTO readings VALUES (1, 10, 'c');
INSERT INTO readings_raw VALUES (2, NULL, 'c');
