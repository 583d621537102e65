-- NATURAL JOIN merges the common columns like USING.
CREATE TABLE a1 (k int NOT NULL, x text NOT NULL);
CREATE TABLE a2 (k int NOT NULL, y text);
INSERT INTO a1 VALUES (1, 'x'), (2, 'x2');
INSERT INTO a2 VALUES (1, NULL);
