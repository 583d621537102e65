-- A NOT NULL domain does not make a column non-null: PostgreSQL stores NULL through it when the value comes from an
-- empty scalar subquery (row 2), as CREATE DOMAIN's notes say. Only the column's own NOT NULL counts (config key
-- nullability.trustNotNullDomains opts back in). A domain maps as its base type.
CREATE DOMAIN posint AS int NOT NULL CHECK (VALUE > 0);
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE DOMAIN money8 AS numeric(12, 2);
CREATE TABLE d (id int PRIMARY KEY, qty posint, contact email, required email NOT NULL, price money8);
INSERT INTO d VALUES (1, 3, NULL, 'a@b', NULL);
INSERT INTO d (id, qty, required) VALUES (2, (SELECT qty FROM d WHERE false), 'c@d');
