-- An INSTEAD rule on a table replaces the statement: RETURNING comes from the rule's own statement (here a row of
-- another table with a NULL), not from the table's NOT NULL columns.
CREATE TABLE orders (id int PRIMARY KEY, total int NOT NULL);
CREATE TABLE order_requests (id int, total int);
CREATE RULE orders_requested AS ON INSERT TO orders DO INSTEAD
  INSERT INTO order_requests VALUES (NEW.id, NULL) RETURNING order_requests.id, order_requests.total;
