-- SEARCH and CYCLE add columns of their own: a * over them is matched around the gap.
CREATE TABLE edges (src int NOT NULL, dst int NOT NULL, PRIMARY KEY (src, dst));
INSERT INTO edges VALUES (1, 2), (2, 1);
