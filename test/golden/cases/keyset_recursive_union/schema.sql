-- A DAG of nodes: node 4 is reached from 1 through 2 and through 3. A recursive walk with UNION removes the repeat,
-- and every row is one node's row, so the node's key orders the walk uniquely.
CREATE TABLE nodes (id int8 PRIMARY KEY, name text NOT NULL);
CREATE TABLE edges (parent int8 NOT NULL REFERENCES nodes, child int8 NOT NULL REFERENCES nodes, PRIMARY KEY (parent, child));
CREATE INDEX edges_child ON edges (child);
INSERT INTO nodes VALUES (1, 'root'), (2, 'left'), (3, 'right'), (4, 'join'), (5, 'leaf a'), (6, 'leaf b');
INSERT INTO edges VALUES (1, 2), (1, 3), (2, 4), (3, 4), (4, 5), (4, 6);
