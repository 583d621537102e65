-- A dropped column leaves a gap in attnums: columns are matched by attnum, not position.
CREATE TABLE gaps (id int PRIMARY KEY, gone text NOT NULL, kept text, last int NOT NULL);
ALTER TABLE gaps DROP COLUMN gone;
INSERT INTO gaps VALUES (1, NULL, 2);
