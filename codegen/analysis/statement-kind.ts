// Which statements PostgreSQL can plan (EXPLAIN) and return rows from, and how to name the others (utility
// statements: TRUNCATE, CALL, DO, NOTIFY, REFRESH MATERIALIZED VIEW...) in a message.
import type { Node } from '@pgsql/types';

const PLANNABLE = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

const UTILITY_LABELS: Record<string, string> = {
  TruncateStmt: 'TRUNCATE',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  CallStmt: 'CALL',
  DoStmt: 'DO',
  NotifyStmt: 'NOTIFY',
  ListenStmt: 'LISTEN',
  UnlistenStmt: 'UNLISTEN',
  VacuumStmt: 'VACUUM',
  LockStmt: 'LOCK',
};

/** The utility statement's SQL name (`TRUNCATE`), or null for a statement EXPLAIN can plan. */
export function utilityStatement(tree: Node | undefined): string | null {
  const kind = Object.keys(tree ?? {})[0] ?? 'an empty statement';
  if (PLANNABLE.has(kind)) return null;
  return UTILITY_LABELS[kind] ?? kind.replace(/Stmt$/, '');
}
