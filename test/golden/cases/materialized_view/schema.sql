-- A materialized view holds the rows of its last REFRESH, not what its definition yields under today's NOT NULLs: its
-- columns are nullable (a `-- not-null:` annotation says otherwise where the author knows better).
CREATE TABLE t (
  id int PRIMARY KEY,
  a int NOT NULL,
  b int,
  s text NOT NULL,
  n text,
  j jsonb NOT NULL,
  arr int[] NOT NULL,
  ts timestamptz NOT NULL
);
INSERT INTO t VALUES
  (1, 10, NULL, 'x', NULL, '{"k": 1}', '{1,NULL}', 'infinity'),
  (2, 20, 5, 'y', 'n', '{}', '{}', '2024-01-01'),
  (3, 30, 7, '', 'm', '{"k": null}', '{3}', '2024-06-01');
CREATE TABLE u (id int PRIMARY KEY, t_id int NOT NULL REFERENCES t, v text NOT NULL, w text);
INSERT INTO u VALUES (1, 1, 'v1', NULL), (2, 1, 'v2', 'w2'), (3, 2, 'v3', NULL);
-- e is always empty: aggregates over it see no rows.
CREATE TABLE e (id int PRIMARY KEY, x int NOT NULL);
CREATE MATERIALIZED VIEW tm AS SELECT t.id, t.a, max(u.v) AS last_v, count(u.id) AS u_count FROM t LEFT JOIN u ON u.t_id = t.id GROUP BY t.id, t.a;
