-- A cached read that calls a STABLE PL/pgSQL function: the catalog does not record the tables its body reads, so no
-- write can be proven to drop the entry. Refused with a fix, never cached on a guess.
CREATE TABLE scores (id int8 PRIMARY KEY, points int8 NOT NULL);
CREATE FUNCTION top_score() RETURNS int8 LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN (SELECT max(points) FROM scores); END $$;
