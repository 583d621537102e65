-- SELECT * over JOIN USING shows the join column once, then a function's columns: matched by position and origin.
CREATE TABLE l (id int PRIMARY KEY, lv text NOT NULL);
CREATE TABLE r (id int PRIMARY KEY, rv text);
INSERT INTO l VALUES (1, 'l1'), (2, 'l2');
INSERT INTO r VALUES (1, NULL);
