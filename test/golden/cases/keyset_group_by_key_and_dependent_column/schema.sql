-- GROUP BY a key and a column it determines (PostgreSQL asks for display_name there): the groups are unique by
-- the key, so the list ordered by id passes though CROSS JOIN repeats members rows (issue 27).
CREATE TABLE members (id int8 PRIMARY KEY, display_name text NOT NULL);
CREATE TABLE time_entries (id int8 PRIMARY KEY, member_id int8 NOT NULL REFERENCES members, minutes int NOT NULL);
CREATE INDEX time_entries_member ON time_entries (member_id);
