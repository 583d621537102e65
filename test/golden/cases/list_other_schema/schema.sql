-- A keyset list over a table in another schema, left-joined on a unique key, on rows with NULLs: the emitted item
-- builder must read exactly the columns the server returns (golden.test.ts checkListItems), whatever the schema.
CREATE SCHEMA reporting;
CREATE TABLE reporting.events (
  id bigint PRIMARY KEY,
  kind text NOT NULL,
  note text,
  at timestamptz
);
INSERT INTO reporting.events VALUES
  (1, 'a', NULL, NULL),
  (2, 'b', 'two', '2024-01-01'),
  (3, 'c', NULL, 'infinity');
CREATE TABLE reporting.tags (event_id bigint PRIMARY KEY REFERENCES reporting.events, label text);
INSERT INTO reporting.tags VALUES (2, NULL), (3, 'three');
