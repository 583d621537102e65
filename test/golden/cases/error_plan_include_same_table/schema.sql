-- A parent and its include read the same table: the unindexed scan is the include's (alias c), reported at its line.
CREATE TABLE tasks (
  id int8 PRIMARY KEY,
  project_id int8 NOT NULL,
  parent_id int8 REFERENCES tasks,
  title text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX tasks_project_created ON tasks (project_id, created_at DESC, id DESC);
