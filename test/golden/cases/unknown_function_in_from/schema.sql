-- A user function in FROM has unknown columns: nullable, never resolved to an outer table.
CREATE TABLE owners (id int PRIMARY KEY, label text NOT NULL);
CREATE FUNCTION pets(owner int) RETURNS TABLE (label text, age int) LANGUAGE sql AS $$ SELECT NULL::text, 1 $$;
INSERT INTO owners VALUES (1, 'o');
