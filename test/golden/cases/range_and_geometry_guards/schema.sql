-- lower/upper of a range are NULL for empty or unbounded ranges, path + path for closed paths: those builtins are trusted only on the argument types the tests prove.
CREATE TABLE spans (id int PRIMARY KEY, label text NOT NULL, span int4range NOT NULL, route path NOT NULL, bits int NOT NULL);
INSERT INTO spans VALUES (1, 'A', 'empty', '((0,0),(1,1),(1,0))', 5), (2, 'b', '[1,)', '[(0,0),(1,1)]', 3);
