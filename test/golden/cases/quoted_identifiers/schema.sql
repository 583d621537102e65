-- Quoted, mixed-case names resolve exactly.
CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Order Lines" ("Id" int PRIMARY KEY, "Note" text NOT NULL, "note" text);
INSERT INTO "Sales"."Order Lines" VALUES (1, 'N', NULL);
