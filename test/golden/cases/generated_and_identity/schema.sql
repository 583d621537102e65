-- Identity and generated columns: NOT NULL where declared.
CREATE TABLE gen (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, w int NOT NULL, doubled int GENERATED ALWAYS AS (w * 2) STORED, maybe int GENERATED ALWAYS AS (NULLIF(w, 1)) STORED);
INSERT INTO gen (w) VALUES (1);
