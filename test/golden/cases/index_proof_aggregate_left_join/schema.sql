-- A shop's orders: an aggregate over a LEFT JOIN, filtered by the customer, finds its rows through
-- orders (customer_id, created_at, id), not by walking the primary key with a filter (issue 31, item 4).
CREATE TABLE customers (id int8 PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (
  id int8 PRIMARY KEY,
  customer_id int8 NOT NULL REFERENCES customers,
  created_at timestamptz NOT NULL,
  total_cents int8 NOT NULL
);
CREATE INDEX orders_customer_created ON orders (customer_id, created_at, id);
CREATE TABLE order_lines (id int8 PRIMARY KEY, order_id int8 NOT NULL REFERENCES orders, amount_cents int8 NOT NULL);
CREATE INDEX order_lines_order ON order_lines (order_id);
INSERT INTO customers VALUES (1, 'Ada');
INSERT INTO orders VALUES (1, 1, '2024-01-01', 500), (2, 1, '2024-02-01', 700);
INSERT INTO order_lines VALUES (1, 1, 200), (2, 1, 300);
