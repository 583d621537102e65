-- pg_catalog tables resolve too: their NOT NULL columns are non-null.
CREATE TABLE marker (id int PRIMARY KEY);
