-- A unique key pinned by the WHERE: (tenant_id, id) is the primary key and tenant_id = 1 fixes its first column, so id
-- alone is unique in the result and ends the order.
CREATE TABLE members (tenant_id int8 NOT NULL, id int8 NOT NULL, joined int4 NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE INDEX members_tenant_joined ON members (tenant_id, joined DESC, id DESC);
INSERT INTO members VALUES (1, 1, 5), (1, 2, 5), (1, 3, 7), (2, 1, 5), (2, 2, 9), (1, 4, 5), (1, 5, 3), (1, 6, 7);
