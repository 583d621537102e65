-- IS TRUE and a bare boolean column prove it non-null; IS NOT FALSE does not.
CREATE TABLE flags (id int PRIMARY KEY, f boolean, g boolean, h boolean);
INSERT INTO flags VALUES (1, true, true, NULL), (2, true, false, NULL);
