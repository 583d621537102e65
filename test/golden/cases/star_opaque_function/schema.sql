-- A * over a function whose columns are unknown leaves a gap: columns before it match from the start, after it from the end.
CREATE TABLE l (id int PRIMARY KEY, lv text NOT NULL);
CREATE TABLE r (id int PRIMARY KEY, rv text);
CREATE TABLE pair (x int, y text);
CREATE TABLE tail (z text NOT NULL);
INSERT INTO tail VALUES ('z');
INSERT INTO l VALUES (1, 'l1');
INSERT INTO r VALUES (1, NULL);
