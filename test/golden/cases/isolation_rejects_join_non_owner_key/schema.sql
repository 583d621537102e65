-- owner isolation
-- Users own projects, tasks, notes and settings by user_id; tags are shared. tasks reach their project through a
-- composite foreign key that holds the owner column; notes through a plain one.
CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (
  id bigint PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  name text NOT NULL,
  UNIQUE (id, user_id)
);
CREATE INDEX ON projects (user_id);
CREATE TABLE tasks (
  id bigint PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  project_id bigint NOT NULL,
  title text NOT NULL,
  FOREIGN KEY (project_id, user_id) REFERENCES projects (id, user_id)
);
CREATE INDEX ON tasks (user_id);
CREATE INDEX ON tasks (project_id);
CREATE TABLE notes (
  id bigint PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  project_id bigint NOT NULL REFERENCES projects (id),
  body text NOT NULL
);
CREATE INDEX ON notes (user_id);
CREATE INDEX ON notes (project_id);
CREATE TABLE settings (id bigint PRIMARY KEY, user_id bigint NOT NULL, key text NOT NULL, value text NOT NULL, UNIQUE (user_id, key));
CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE VIEW all_tasks AS SELECT id, user_id, title FROM tasks;
CREATE VIEW task_counts AS SELECT user_id, count(*) AS n FROM tasks GROUP BY user_id;
CREATE VIEW ranked_tasks AS SELECT id, user_id, row_number() OVER (ORDER BY id) AS rank FROM tasks;
