-- GROUP BY a key and a column it determines (PostgreSQL asks for display_name there): the groups are unique by
-- the key, so the list ordered by id passes though CROSS JOIN repeats members rows (issue 27).
CREATE TABLE members (id int8 PRIMARY KEY, display_name text NOT NULL);
CREATE TABLE time_entries (id int8 PRIMARY KEY, member_id int8 NOT NULL REFERENCES members, minutes int NOT NULL);
CREATE INDEX time_entries_member ON time_entries (member_id);
INSERT INTO members VALUES (1, 'Ada'), (2, 'Ada'), (3, 'Grace'), (4, 'Linus'), (5, 'Edsger'), (6, 'Barbara');
INSERT INTO time_entries VALUES (1, 1, 30), (2, 1, 45), (3, 2, 15), (4, 3, 60), (5, 3, 5), (6, 3, 10), (7, 4, 20), (8, 5, 25), (9, 6, 35), (10, 6, 40);
