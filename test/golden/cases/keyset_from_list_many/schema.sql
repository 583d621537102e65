-- Parents with 3, 0, 2, 1 and 0 children (the issue's shape, and more), some pointing at a favourite child.
CREATE TABLE parents (id int8 PRIMARY KEY, name text NOT NULL, favorite_child_id int8 UNIQUE);
CREATE TABLE children (id int8 PRIMARY KEY, parent_id int8 NOT NULL REFERENCES parents (id), name text NOT NULL);
CREATE INDEX children_parent_id ON children (parent_id);
INSERT INTO parents (id, name, favorite_child_id) VALUES (1, 'ada', 12), (2, 'bob', NULL), (3, 'cy', 31), (4, 'dee', 41), (5, 'eve', NULL);
INSERT INTO children (id, parent_id, name) VALUES (11, 1, 'a1'), (12, 1, 'a2'), (13, 1, 'a3'), (31, 3, 'c1'), (32, 3, 'c2'), (41, 4, 'd1');
