-- A NOT NULL constraint added NOT VALID does not cover old rows: the column stays nullable.
CREATE TABLE legacy (id int PRIMARY KEY, code text);
INSERT INTO legacy VALUES (1, NULL);
ALTER TABLE legacy ADD CONSTRAINT legacy_code_not_null NOT NULL code NOT VALID;
CREATE TABLE checked (id int PRIMARY KEY, code text NOT NULL);
