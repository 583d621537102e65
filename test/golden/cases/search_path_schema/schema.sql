-- Tables in any schema on the search path resolve by OID; the first schema on the path wins.
CREATE SCHEMA app;
CREATE TABLE app.accounts (id int PRIMARY KEY, email text NOT NULL, nick text);
CREATE TABLE accounts (id int PRIMARY KEY, email text);
INSERT INTO app.accounts VALUES (1, 'a@example.com', NULL);
INSERT INTO accounts VALUES (1, NULL);
SET search_path = app, public;
