-- uses: example schema
-- A global aggregate kept by a trigger: writes to alerts also write alert_totals (no user column).
CREATE TABLE alert_totals (id int PRIMARY KEY, total bigint NOT NULL);
CREATE FUNCTION alert_totals_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- UPDATE comments_are_not_tables SET x = 1 is only a comment
  INSERT INTO alert_totals AS t (id, total) SELECT 1, count(*) FROM new_rows
  ON CONFLICT (id) DO UPDATE SET total = t.total + excluded.total;
  RETURN NULL;
END $$;
CREATE TRIGGER alert_totals_bump AFTER INSERT ON alerts REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION alert_totals_bump();
