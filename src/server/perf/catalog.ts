// What the page reads from PostgreSQL's statistics views: a fixed set of statements, whatever the number of
// tables, indexes or statements (three per refresh, two without pg_stat_statements), each returning a bounded
// number of rows. They run through the runtime like any query (timed, pooled, under statement_timeout), named
// `_db.*`, and carry CATALOG_TAG so their own cost can be found in pg_stat_statements. The tag sits after the first
// keyword: pg_stat_statements keeps a statement's text from its first keyword on, dropping a leading comment.
// The statistics views (pg_stat_user_tables, pg_stat_user_indexes) compute every counter of every relation, and
// sizes stat the files; these statements call only the counters they show, and size indexes from relpages.
import type { Db, Statement } from 'sqlbound';

export const CATALOG_TAG = '/* sqlbound:_db */';
/** Rows each list shows at most. */
const CATALOG_ROWS = 10;

type ConnectionState = { state: string; count: number; oldestSeconds: number | null };
type ReplicaLag = {
  name: string;
  state: string;
  /** Seconds behind, by the server's own replay_lag (null while idle: nothing to replay). */
  replayLagSeconds: number | null;
  /** WAL bytes not yet replayed. */
  lagBytes: number | null;
};
type TopStatement = {
  queryid: string;
  text: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rowsPerCall: number;
  share: number;
};
type UnusedIndex = { index: string; table: string; bytes: number };
type SeqScannedTable = { table: string; seqScans: number; seqRowsRead: number; indexScans: number; liveRows: number };

export type CatalogSnapshot = {
  serverVersion: string;
  inRecovery: boolean;
  connections: ConnectionState[];
  /** Streaming replicas of this primary, or this server's own lag when it is a replica; empty without one. */
  replicas: ReplicaLag[];
  /** null: pg_stat_statements is not installed in this database. */
  topStatements: TopStatement[] | null;
  unusedIndexes: UnusedIndex[];
  seqScannedTables: SeqScannedTable[];
};

const overviewStatement: Statement = {
  name: '_db.overview',
  text: `SELECT ${CATALOG_TAG} current_setting('server_version') AS server_version,
  pg_is_in_recovery() AS in_recovery,
  to_regclass('pg_stat_statements') IS NOT NULL AS has_statements,
  (SELECT coalesce(json_agg(json_build_object('state', state, 'count', n, 'oldestSeconds', oldest) ORDER BY n DESC), '[]')
     FROM (SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n,
                  round(extract(epoch FROM max(now() - state_change))::numeric, 1)::float8 AS oldest
           FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'
           GROUP BY 1) s) AS connections,
  (SELECT coalesce(json_agg(r), '[]') FROM (
     SELECT coalesce(nullif(application_name, ''), client_addr::text, pid::text) AS name, state,
            extract(epoch FROM replay_lag)::float8 AS "replayLagSeconds",
            CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 END AS "lagBytes"
     FROM pg_stat_replication ORDER BY 1 LIMIT ${CATALOG_ROWS}) r) AS replicas,
  CASE WHEN pg_is_in_recovery() THEN extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS own_lag`,
};

const indexUsageStatement: Statement = {
  name: '_db.indexUsage',
  text: `SELECT ${CATALOG_TAG}
  (SELECT coalesce(json_agg(u), '[]') FROM (
     SELECT ic.relname AS index, c.relname AS table, (ic.relpages::float8 * current_setting('block_size')::float8) AS bytes
     FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT i.indisunique AND NOT i.indisprimary AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname !~ '^pg_toast' AND pg_stat_get_numscans(i.indexrelid) = 0
     ORDER BY ic.relpages DESC, ic.relname LIMIT ${CATALOG_ROWS}) u) AS unused,
  (SELECT coalesce(json_agg(t), '[]') FROM (
     SELECT top.relname AS table, top.seq_scans AS "seqScans", top.seq_rows AS "seqRowsRead",
            (SELECT coalesce(sum(pg_stat_get_numscans(x.indexrelid)), 0) FROM pg_index x WHERE x.indrelid = top.oid)::float8 AS "indexScans",
            pg_stat_get_live_tuples(top.oid)::float8 AS "liveRows"
     FROM (SELECT c.oid, c.relname, pg_stat_get_numscans(c.oid)::float8 AS seq_scans, pg_stat_get_tuples_returned(c.oid)::float8 AS seq_rows
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
             AND pg_stat_get_numscans(c.oid) > 0
           ORDER BY seq_rows DESC, c.relname LIMIT ${CATALOG_ROWS}) top
     ORDER BY top.seq_rows DESC, top.relname) t) AS seq_scanned`,
};

/** Normalized texts only: pg_stat_statements replaces every constant by `$n`, so no parameter value is shown. */
const topStatementsStatement: Statement = {
  name: '_db.topStatements',
  text: `SELECT ${CATALOG_TAG} queryid::text AS queryid, left(query, 400) AS text, calls::float8 AS calls,
  total_exec_time::float8 AS total_ms, mean_exec_time::float8 AS mean_ms, (rows::float8 / greatest(calls, 1)) AS rows_per_call,
  (total_exec_time / nullif(sum(total_exec_time) OVER (), 0))::float8 AS share
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%sqlbound:_db%'
ORDER BY total_exec_time DESC LIMIT ${CATALOG_ROWS}`,
};

export const CATALOG_STATEMENTS = [overviewStatement, indexUsageStatement, topStatementsStatement] as const;

type OverviewRow = {
  server_version: string;
  in_recovery: boolean;
  has_statements: boolean;
  connections: ConnectionState[];
  replicas: ReplicaLag[];
  own_lag: number | null;
};
type IndexUsageRow = { unused: UnusedIndex[]; seq_scanned: SeqScannedTable[] };
type TopRow = {
  queryid: string;
  text: string;
  calls: number;
  total_ms: number;
  mean_ms: number;
  rows_per_call: number;
  share: number | null;
};

export async function readCatalog(db: Db): Promise<CatalogSnapshot> {
  const overview = (await db.execute<OverviewRow>(overviewStatement, [])).rows[0];
  if (overview === undefined) throw new Error('the overview statement returned no row');
  const usage = (await db.execute<IndexUsageRow>(indexUsageStatement, [])).rows[0];
  const top = overview.has_statements ? (await db.execute<TopRow>(topStatementsStatement, [])).rows : null;
  const replicas: ReplicaLag[] =
    overview.in_recovery && overview.own_lag !== null
      ? [{ name: 'this server (replica)', state: 'replaying', replayLagSeconds: overview.own_lag, lagBytes: null }]
      : overview.replicas;
  return {
    serverVersion: overview.server_version,
    inRecovery: overview.in_recovery,
    connections: overview.connections,
    replicas,
    topStatements:
      top?.map((row) => ({
        queryid: row.queryid,
        text: row.text,
        calls: row.calls,
        totalMs: row.total_ms,
        meanMs: row.mean_ms,
        rowsPerCall: row.rows_per_call,
        share: row.share ?? 0,
      })) ?? null,
    unusedIndexes: usage?.unused ?? [],
    seqScannedTables: usage?.seq_scanned ?? [],
  };
}
