-- FROM t AS x(b, a) renames by position: x.a is the table's second column.
CREATE TABLE p (a int NOT NULL, b int);
INSERT INTO p VALUES (1, NULL);
