-- An inner join nested under a LEFT JOIN's nullable side is nullable as a whole.
CREATE TABLE l (id int PRIMARY KEY, lv text NOT NULL, ln text);
CREATE TABLE r (id int PRIMARY KEY, l_id int NOT NULL, rv text NOT NULL, rn text);
CREATE TABLE m (id int PRIMARY KEY, r_id int NOT NULL, mv text NOT NULL);
INSERT INTO l VALUES (1, 'l1', NULL), (2, 'l2', 'x');
INSERT INTO r VALUES (1, 1, 'r1', NULL), (2, 9, 'r2', 'y');
INSERT INTO m VALUES (1, 1, 'm1');
