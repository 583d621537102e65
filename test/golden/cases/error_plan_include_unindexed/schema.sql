-- An include whose own filter no index serves: the error is the include's, at its own line.
CREATE TABLE projects (id int8 PRIMARY KEY, name text NOT NULL);
CREATE TABLE tasks (
  id int8 PRIMARY KEY,
  project_id int8 NOT NULL REFERENCES projects,
  title text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX tasks_created ON tasks (created_at, id);
