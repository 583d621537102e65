-- A recursive walk down a parent/child tree.
CREATE TABLE nodes (id int PRIMARY KEY, parent_id int REFERENCES nodes, name text NOT NULL);
INSERT INTO nodes VALUES (1, NULL, 'root'), (2, 1, 'child'), (3, 2, 'grandchild');
