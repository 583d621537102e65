-- A user-defined cast function need not be strict: here NULL casts to 'a', so `WHERE b.x::mood = 'a'` holds for a row
-- whose x is NULL and proves nothing about x.
CREATE TYPE mood AS ENUM ('a', 'b');
CREATE FUNCTION int_to_mood(int) RETURNS mood LANGUAGE sql IMMUTABLE CALLED ON NULL INPUT AS $$ SELECT coalesce(CASE WHEN $1 = 2 THEN 'b' END, 'a')::mood $$;
CREATE CAST (int AS mood) WITH FUNCTION int_to_mood(int);
CREATE TABLE b (id int PRIMARY KEY, x int);
INSERT INTO b VALUES (1, NULL), (2, 2), (3, 1);
