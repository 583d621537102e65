-- A materialized view holds the rows of its last REFRESH: a NOT NULL added to its source afterwards says nothing
-- about them, so its columns are nullable whatever its definition proves today.
CREATE TABLE prices (id int PRIMARY KEY, amount int);
INSERT INTO prices VALUES (1, 5), (2, NULL);
CREATE MATERIALIZED VIEW price_snapshot AS SELECT id, amount FROM prices;
DELETE FROM prices WHERE amount IS NULL;
ALTER TABLE prices ALTER COLUMN amount SET NOT NULL;
