-- An enum in a non-public schema maps to its labels (it used to stop codegen).
CREATE SCHEMA crm;
CREATE TYPE crm.mood AS ENUM ('calm', 'upset');
CREATE TABLE crm.feelings (id int PRIMARY KEY, mood crm.mood NOT NULL, history crm.mood[], maybe crm.mood);
INSERT INTO crm.feelings VALUES (1, 'calm', NULL, NULL), (2, 'upset', '{calm,upset}', 'calm');
