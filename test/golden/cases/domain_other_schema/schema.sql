-- Domains in another schema, and a domain over a NOT NULL domain, resolve by OID.
CREATE SCHEMA types;
CREATE DOMAIN types.code AS text NOT NULL;
CREATE DOMAIN types.short_code AS types.code CHECK (length(VALUE) < 5);
CREATE DOMAIN types.amount AS bigint;
CREATE TABLE types.orders (id int PRIMARY KEY, code types.short_code, amount types.amount, amounts types.amount[]);
INSERT INTO types.orders VALUES (1, 'ab', NULL, NULL);
