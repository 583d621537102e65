-- No unique key at all, and id is already in the order: the fix gives no example that would repeat it.
CREATE TABLE log_lines (id int NOT NULL, at timestamptz NOT NULL);
