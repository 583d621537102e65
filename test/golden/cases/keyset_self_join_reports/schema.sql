-- A manager with three reports, two of whom manage one more each.
CREATE TABLE employees (id int8 PRIMARY KEY, manager_id int8 REFERENCES employees (id), name text NOT NULL);
CREATE INDEX employees_manager_id ON employees (manager_id);
INSERT INTO employees (id, manager_id, name) VALUES (1, NULL, 'boss'), (2, 1, 'ann'), (3, 1, 'ben'), (4, 1, 'cat'), (5, 2, 'dan'), (6, 3, 'eli');
