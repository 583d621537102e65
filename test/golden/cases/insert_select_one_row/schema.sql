-- INSERT ... SELECT from a source of at most one row (an aggregate CTE, a key lookup) is a :one.
CREATE TABLE orders (id int8 PRIMARY KEY, total int8 NOT NULL);
CREATE TABLE order_stats (id bigserial PRIMARY KEY, orders int8 NOT NULL, revenue int8);
INSERT INTO orders VALUES (1, 10), (2, 20);
