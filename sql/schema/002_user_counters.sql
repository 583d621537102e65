-- Per-user counters maintained on write, so the dashboard costs the same for a user with 6000 alerts as for
-- one with 20: it reads one row by primary key instead of counting alerts and exposures at read time.
--
-- Every trigger is statement-level with transition tables: a bulk statement (the seeder inserts about 100k
-- alerts per statement) costs one aggregate over the changed rows and one write per affected user, not a
-- write per row. PostgreSQL refuses transition tables on a trigger for more than one event, hence one
-- trigger (and function, since PL/pgSQL binds the transition tables by name) per event. Measured with
-- track_functions while seeding 100k users (2.1M alerts, 1M exposures): 5.5 s inside these functions in all.
-- The delta of an UPDATE is f(new rows) - f(old rows) summed per user_id: status and read_at changes and
-- rows moved to another user need no join of old rows to new ones.
--
-- Lock order: every trigger locks the counters rows it changes in user_id order, so two transactions that
-- touch the same users queue instead of deadlocking on the counters. INSERT triggers add with
-- INSERT ... SELECT ... ORDER BY user_id ON CONFLICT DO UPDATE, which processes (and locks) rows in the
-- SELECT's order. UPDATE and DELETE triggers cannot: CHECK constraints are tested on the proposed row before
-- ON CONFLICT, so a negative delta would fail them. They UPDATE from a subquery with ORDER BY user_id
-- FOR NO KEY UPDATE, which locks in sorted order (LockRows runs above the Sort).
--
-- Not covered: writes made with session_replication_role = replica (triggers do not fire). After such a
-- load, SELECT refresh_user_counters() recomputes every row.

-- Nothing may write users, alerts or exposures between the backfill below and the triggers taking effect.
LOCK TABLE users, alerts, exposures IN SHARE ROW EXCLUSIVE MODE;

-- getDashboard: the unread alert count and the exposure counts by status, one row per user.
-- fillfactor leaves room in each page so that the frequent counter updates stay HOT (no index writes).
CREATE TABLE user_counters (
  user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  unread_alerts int NOT NULL DEFAULT 0 CHECK (unread_alerts >= 0),
  total_alerts int NOT NULL DEFAULT 0 CHECK (total_alerts >= 0),
  exposures_detected int NOT NULL DEFAULT 0 CHECK (exposures_detected >= 0),
  exposures_removal_requested int NOT NULL DEFAULT 0 CHECK (exposures_removal_requested >= 0),
  exposures_removed int NOT NULL DEFAULT 0 CHECK (exposures_removed >= 0),
  exposures_reappeared int NOT NULL DEFAULT 0 CHECK (exposures_reappeared >= 0),
  CHECK (unread_alerts <= total_alerts)
) WITH (fillfactor = 70);

-- getDashboard: a zero counters row for every new user (DO NOTHING: an alert or exposure trigger
-- that ran first within one statement, through a data-modifying CTE, may have created it already).
CREATE FUNCTION user_counters_users_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_counters (user_id)
  SELECT id FROM new_users ORDER BY id
  ON CONFLICT (user_id) DO NOTHING;
  RETURN NULL;
END $$;

-- getDashboard: creates the counters row of each inserted user.
CREATE TRIGGER user_counters_users_insert AFTER INSERT ON users
  REFERENCING NEW TABLE AS new_users
  FOR EACH STATEMENT EXECUTE FUNCTION user_counters_users_insert();

-- In the UPDATE and DELETE functions, a user whose delete cascaded here may already have lost its counters
-- row (the same cascade deletes it): the join then finds nothing to update, which is right.

-- getDashboard (unread_alerts, total_alerts): adds the inserted alerts.
CREATE FUNCTION user_counters_alerts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_counters AS c (user_id, unread_alerts, total_alerts)
  SELECT n.user_id, count(*) FILTER (WHERE n.read_at IS NULL), count(*)
  FROM new_alerts n
  GROUP BY n.user_id
  ORDER BY n.user_id
  ON CONFLICT (user_id) DO UPDATE
  SET unread_alerts = c.unread_alerts + excluded.unread_alerts,
      total_alerts = c.total_alerts + excluded.total_alerts;
  RETURN NULL;
END $$;

-- getDashboard (unread_alerts, total_alerts): read_at set or cleared, alerts moved between users.
CREATE FUNCTION user_counters_alerts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_counters c
  SET unread_alerts = c.unread_alerts + l.unread, total_alerts = c.total_alerts + l.total
  FROM (
    SELECT x.user_id, d.unread, d.total
    FROM user_counters x
    JOIN (
      SELECT user_id, sum(unread)::int AS unread, sum(total)::int AS total
      FROM (
        SELECT user_id, (read_at IS NULL)::int AS unread, 1 AS total FROM new_alerts
        UNION ALL
        SELECT user_id, -(read_at IS NULL)::int, -1 FROM old_alerts
      ) s
      GROUP BY user_id
      HAVING sum(unread) <> 0 OR sum(total) <> 0
    ) d ON d.user_id = x.user_id
    ORDER BY x.user_id
    FOR NO KEY UPDATE OF x
  ) l
  WHERE c.user_id = l.user_id;
  RETURN NULL;
END $$;

-- getDashboard (unread_alerts, total_alerts): subtracts the deleted alerts.
CREATE FUNCTION user_counters_alerts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_counters c
  SET unread_alerts = c.unread_alerts + l.unread, total_alerts = c.total_alerts + l.total
  FROM (
    SELECT x.user_id, d.unread, d.total
    FROM user_counters x
    JOIN (
      SELECT user_id, sum(unread)::int AS unread, sum(total)::int AS total
      FROM (SELECT user_id, -(read_at IS NULL)::int AS unread, -1 AS total FROM old_alerts) s
      GROUP BY user_id
    ) d ON d.user_id = x.user_id
    ORDER BY x.user_id
    FOR NO KEY UPDATE OF x
  ) l
  WHERE c.user_id = l.user_id;
  RETURN NULL;
END $$;

-- getDashboard (unread_alerts, total_alerts): TRUNCATE fires no delete triggers; zero the counts,
-- locking the rows in user_id order first.
CREATE FUNCTION user_counters_alerts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_counters c SET unread_alerts = 0, total_alerts = 0
  FROM (
    SELECT user_id FROM user_counters WHERE total_alerts <> 0 ORDER BY user_id FOR NO KEY UPDATE
  ) l
  WHERE c.user_id = l.user_id;
  RETURN NULL;
END $$;

-- getDashboard: alerts inserted, one row or many per statement.
CREATE TRIGGER user_counters_alerts_insert AFTER INSERT ON alerts
  REFERENCING NEW TABLE AS new_alerts
  FOR EACH STATEMENT EXECUTE FUNCTION user_counters_alerts_insert();

-- getDashboard: alerts updated. It fires for every UPDATE (a column list is not allowed with
-- transition tables); an update that changes neither read_at nor user_id writes no counters row.
CREATE TRIGGER user_counters_alerts_update AFTER UPDATE ON alerts
  REFERENCING OLD TABLE AS old_alerts NEW TABLE AS new_alerts
  FOR EACH STATEMENT EXECUTE FUNCTION user_counters_alerts_update();

-- getDashboard: alerts deleted, directly or by a user delete cascading to them.
CREATE TRIGGER user_counters_alerts_delete AFTER DELETE ON alerts
  REFERENCING OLD TABLE AS old_alerts
  FOR EACH STATEMENT EXECUTE FUNCTION user_counters_alerts_delete();

-- getDashboard: alerts truncated.
CREATE TRIGGER user_counters_alerts_truncate AFTER TRUNCATE ON alerts
  FOR EACH STATEMENT EXECUTE FUNCTION user_counters_alerts_truncate();

-- getDashboard (exposures_*): adds the inserted exposures by status.
CREATE FUNCTION user_counters_exposures_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_counters AS c
    (user_id, exposures_detected, exposures_removal_requested, exposures_removed, exposures_reappeared)
  SELECT n.user_id,
         count(*) FILTER (WHERE n.status = 'detected'),
         count(*) FILTER (WHERE n.status = 'removal_requested'),
         count(*) FILTER (WHERE n.status = 'removed'),
         count(*) FILTER (WHERE n.status = 'reappeared')
  FROM new_exposures n
  GROUP BY n.user_id
  ORDER BY n.user_id
  ON CONFLICT (user_id) DO UPDATE
  SET exposures_detected = c.exposures_detected + excluded.exposures_detected,
      exposures_removal_requested = c.exposures_removal_requested + excluded.exposures_removal_requested,
      exposures_removed = c.exposures_removed + excluded.exposures_removed,
      exposures_reappeared = c.exposures_reappeared + excluded.exposures_reappeared;
  RETURN NULL;
END $$;

-- getDashboard (exposures_*): status changes and exposures moved between users.
CREATE FUNCTION user_counters_exposures_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_counters c
  SET exposures_detected = c.exposures_detected + l.detected,
      exposures_removal_requested = c.exposures_removal_requested + l.removal_requested,
      exposures_removed = c.exposures_removed + l.removed,
      exposures_reappeared = c.exposures_reappeared + l.reappeared
  FROM (
    SELECT x.user_id, d.detected, d.removal_requested, d.removed, d.reappeared
    FROM user_counters x
    JOIN (
      SELECT user_id, sum(detected)::int AS detected, sum(removal_requested)::int AS removal_requested,
             sum(removed)::int AS removed, sum(reappeared)::int AS reappeared
      FROM (
        SELECT user_id,
               (status = 'detected')::int AS detected, (status = 'removal_requested')::int AS removal_requested,
               (status = 'removed')::int AS removed, (status = 'reappeared')::int AS reappeared
        FROM new_exposures
        UNION ALL
        SELECT user_id,
               -(status = 'detected')::int, -(status = 'removal_requested')::int,
               -(status = 'removed')::int, -(status = 'reappeared')::int
        FROM old_exposures
      ) s
      GROUP BY user_id
      HAVING sum(detected) <> 0 OR sum(removal_requested) <> 0 OR sum(removed) <> 0 OR sum(reappeared) <> 0
    ) d ON d.user_id = x.user_id
    ORDER BY x.user_id
    FOR NO KEY UPDATE OF x
  ) l
  WHERE c.user_id = l.user_id;
  RETURN NULL;
END $$;

-- getDashboard (exposures_*): subtracts the deleted exposures by status.
CREATE FUNCTION user_counters_exposures_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_counters c
  SET exposures_detected = c.exposures_detected + l.detected,
      exposures_removal_requested = c.exposures_removal_requested + l.removal_requested,
      exposures_removed = c.exposures_removed + l.removed,
      exposures_reappeared = c.exposures_reappeared + l.reappeared
  FROM (
    SELECT x.user_id, d.detected, d.removal_requested, d.removed, d.reappeared
    FROM user_counters x
    JOIN (
      SELECT user_id, sum(detected)::int AS detected, sum(removal_requested)::int AS removal_requested,
             sum(removed)::int AS removed, sum(reappeared)::int AS reappeared
      FROM (
        SELECT user_id,
               -(status = 'detected')::int AS detected, -(status = 'removal_requested')::int AS removal_requested,
               -(status = 'removed')::int AS removed, -(status = 'reappeared')::int AS reappeared
        FROM old_exposures
      ) s
      GROUP BY user_id
    ) d ON d.user_id = x.user_id
    ORDER BY x.user_id
    FOR NO KEY UPDATE OF x
  ) l
  WHERE c.user_id = l.user_id;
  RETURN NULL;
END $$;

-- getDashboard (exposures_*): TRUNCATE fires no delete triggers; zero the counts in user_id order.
CREATE FUNCTION user_counters_exposures_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_counters c
  SET exposures_detected = 0, exposures_removal_requested = 0, exposures_removed = 0, exposures_reappeared = 0
  FROM (
    SELECT user_id FROM user_counters
    WHERE exposures_detected <> 0 OR exposures_removal_requested <> 0 OR exposures_removed <> 0 OR exposures_reappeared <> 0
    ORDER BY user_id FOR NO KEY UPDATE
  ) l
  WHERE c.user_id = l.user_id;
  RETURN NULL;
END $$;

-- getDashboard: exposures inserted, one row or many per statement.
CREATE TRIGGER user_counters_exposures_insert AFTER INSERT ON exposures
  REFERENCING NEW TABLE AS new_exposures
  FOR EACH STATEMENT EXECUTE FUNCTION user_counters_exposures_insert();

-- getDashboard: exposures updated; an update that changes neither status nor user_id writes nothing.
CREATE TRIGGER user_counters_exposures_update AFTER UPDATE ON exposures
  REFERENCING OLD TABLE AS old_exposures NEW TABLE AS new_exposures
  FOR EACH STATEMENT EXECUTE FUNCTION user_counters_exposures_update();

-- getDashboard: exposures deleted, directly or by a user delete cascading to them.
CREATE TRIGGER user_counters_exposures_delete AFTER DELETE ON exposures
  REFERENCING OLD TABLE AS old_exposures
  FOR EACH STATEMENT EXECUTE FUNCTION user_counters_exposures_delete();

-- getDashboard: exposures truncated.
CREATE TRIGGER user_counters_exposures_truncate AFTER TRUNCATE ON exposures
  FOR EACH STATEMENT EXECUTE FUNCTION user_counters_exposures_truncate();

-- getDashboard: recomputes every counters row from alerts and exposures and returns how many rows it
-- changed (0 when the triggers kept them right). Used for the backfill below and to repair after writes
-- that bypassed the triggers. It blocks writers to the three tables while it runs.
CREATE FUNCTION refresh_user_counters() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  changed bigint;
BEGIN
  LOCK TABLE users, alerts, exposures IN SHARE MODE;
  INSERT INTO user_counters AS c
    (user_id, unread_alerts, total_alerts,
     exposures_detected, exposures_removal_requested, exposures_removed, exposures_reappeared)
  SELECT u.id,
         coalesce(a.unread_alerts, 0), coalesce(a.total_alerts, 0),
         coalesce(e.exposures_detected, 0), coalesce(e.exposures_removal_requested, 0),
         coalesce(e.exposures_removed, 0), coalesce(e.exposures_reappeared, 0)
  FROM users u
  LEFT JOIN (
    SELECT user_id, count(*) FILTER (WHERE read_at IS NULL) AS unread_alerts, count(*) AS total_alerts
    FROM alerts GROUP BY user_id
  ) a ON a.user_id = u.id
  LEFT JOIN (
    SELECT user_id,
           count(*) FILTER (WHERE status = 'detected') AS exposures_detected,
           count(*) FILTER (WHERE status = 'removal_requested') AS exposures_removal_requested,
           count(*) FILTER (WHERE status = 'removed') AS exposures_removed,
           count(*) FILTER (WHERE status = 'reappeared') AS exposures_reappeared
    FROM exposures GROUP BY user_id
  ) e ON e.user_id = u.id
  ORDER BY u.id
  ON CONFLICT (user_id) DO UPDATE
  SET unread_alerts = excluded.unread_alerts,
      total_alerts = excluded.total_alerts,
      exposures_detected = excluded.exposures_detected,
      exposures_removal_requested = excluded.exposures_removal_requested,
      exposures_removed = excluded.exposures_removed,
      exposures_reappeared = excluded.exposures_reappeared
  WHERE (c.unread_alerts, c.total_alerts, c.exposures_detected, c.exposures_removal_requested,
         c.exposures_removed, c.exposures_reappeared)
     IS DISTINCT FROM
        (excluded.unread_alerts, excluded.total_alerts, excluded.exposures_detected,
         excluded.exposures_removal_requested, excluded.exposures_removed, excluded.exposures_reappeared);
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END $$;

-- Backfill the users that existed before this migration.
SELECT refresh_user_counters();
