// What a relation or a routine really reads and writes, from the catalog: a view reads the relations its rewrite
// rule references (pg_depend), a partition or inheritance child holds rows its root's readers see, a table's
// non-SELECT rules write other tables, a routine reads what its SQL-standard body references and writes what its
// body's INSERT/UPDATE/DELETE/TRUNCATE name. The cache keys its entries on these, so a write through any
// indirection drops the reads it changes; where the catalog cannot tell, the answer says so (`null`) and the
// cache refuses or invalidates everything, never guesses.
import { scanSync } from 'libpg-query';
import type postgres from 'postgres';

/** A user routine (not pg_catalog's, not an extension's) and what the catalog proves about its effects. */
export type RoutineFacts = {
  oid: number;
  schema: string;
  name: string;
  /** pg_proc.provolatile: an immutable routine reads no table (PostgreSQL's own contract for it). */
  volatility: 'immutable' | 'stable' | 'volatile';
  /** Relation OIDs a SQL-standard body (BEGIN ATOMIC / RETURN) references; null when the catalog cannot tell. */
  reads: number[] | null;
  /** Relations its body writes, as written in the body (`schema.name` or bare); null when the language is opaque. */
  writes: string[][] | null;
};

export type Dependencies = {
  /** Relations (and routines) a view or materialized view's definition references, by the view's OID. */
  viewReads: ReadonlyMap<number, readonly number[]>;
  viewCalls: ReadonlyMap<number, readonly number[]>;
  /** A partition's or inheritance child's parent, by OID. */
  parent: ReadonlyMap<number, number>;
  /** Relations a table's non-SELECT rules reference (DO ALSO / INSTEAD actions), by the table's OID. */
  ruleTouches: ReadonlyMap<number, readonly number[]>;
  /** User routines by unqualified name (overloads share one). */
  routinesByName: ReadonlyMap<string, readonly RoutineFacts[]>;
  routines: ReadonlyMap<number, RoutineFacts>;
};

const VOLATILITY = { i: 'immutable', s: 'stable', v: 'volatile' } as const;

function grouped(rows: readonly { owner: number; target: number }[]): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const { owner, target } of rows) map.set(owner, [...(map.get(owner) ?? []), target]);
  return map;
}

export async function loadDependencies(sql: postgres.Sql): Promise<Dependencies> {
  // A view's _RETURN rule depends on every relation and routine its SELECT names.
  const viewRows = await sql<{ owner: number; target: number; kind: string }[]>`
    SELECT DISTINCT r.ev_class::int AS owner, d.refobjid::int AS target,
           CASE d.refclassid WHEN 'pg_class'::regclass THEN 'relation' ELSE 'routine' END AS kind
    FROM pg_rewrite r
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
    WHERE r.rulename = '_RETURN' AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass) AND d.refobjid <> r.ev_class`;
  const ruleRows = await sql<{ owner: number; target: number }[]>`
    SELECT DISTINCT r.ev_class::int AS owner, d.refobjid::int AS target
    FROM pg_rewrite r
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
    WHERE r.rulename <> '_RETURN' AND r.ev_type <> '1' AND d.refobjid <> r.ev_class`;
  const parentRows = await sql<{ owner: number; target: number }[]>`
    SELECT inhrelid::int AS owner, inhparent::int AS target FROM pg_inherits`;
  const routineRows = await sql<
    { oid: number; schema: string; name: string; volatility: 'i' | 's' | 'v'; language: string; body: string | null; standard: boolean }[]
  >`
    SELECT p.oid::int AS oid, n.nspname AS schema, p.proname AS name, p.provolatile::text AS volatility,
           l.lanname AS language, p.prosrc AS body, p.prosqlbody IS NOT NULL AS standard
    FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_language l ON l.oid = p.prolang
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND NOT EXISTS (SELECT FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')`;
  const bodyRows = await sql<{ owner: number; target: number }[]>`
    SELECT DISTINCT d.objid::int AS owner, d.refobjid::int AS target
    FROM pg_depend d
    WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'n'`;
  const bodyReads = grouped(bodyRows);
  const routines = new Map<number, RoutineFacts>();
  const routinesByName = new Map<string, RoutineFacts[]>();
  for (const row of routineRows) {
    const textual = row.language === 'sql' || row.language === 'plpgsql';
    const facts: RoutineFacts = {
      oid: row.oid,
      schema: row.schema,
      name: row.name,
      volatility: VOLATILITY[row.volatility],
      reads: row.standard ? (bodyReads.get(row.oid) ?? []) : null,
      // A SQL-standard body's writes are among its references; a textual body's are read off its tokens.
      writes: row.standard ? null : textual && row.body !== null ? writtenByBody(row.body) : null,
    };
    routines.set(row.oid, facts);
    routinesByName.set(row.name, [...(routinesByName.get(row.name) ?? []), facts]);
  }
  return {
    viewReads: grouped(viewRows.filter((row) => row.kind === 'relation')),
    viewCalls: grouped(viewRows.filter((row) => row.kind === 'routine')),
    parent: new Map(parentRows.map((row) => [row.owner, row.target])),
    ruleTouches: grouped(ruleRows),
    routinesByName,
    routines,
  };
}

/**
 * Relations a routine or trigger body writes: INSERT INTO t, UPDATE t, DELETE FROM t, TRUNCATE [TABLE] t,
 * MERGE INTO t, each name as its parts (`["audit", "log"]` or `["log"]`), read with PostgreSQL's scanner so
 * strings and comments cannot fool it (`DO UPDATE SET` names no table and is skipped).
 */
export function writtenByBody(body: string): string[][] {
  const bytes = Buffer.from(body, 'utf8');
  const words = scanSync(body)
    .tokens.filter((token) => token.tokenName !== 'SQL_COMMENT' && token.tokenName !== 'C_COMMENT')
    .map((token) => ({
      text: bytes.subarray(token.start, token.end).toString('utf8'),
      // A table may be named by an unreserved keyword (`comments`, `events`).
      ident: token.tokenName === 'IDENT' || token.keywordName === 'UNRESERVED_KEYWORD',
    }))
    .map((word) => ({ ...word, lower: word.text.toLowerCase() }));
  const nameAt = (start: number): string[] | null => {
    const parts: string[] = [];
    for (let index = start; ; index += 2) {
      const word = words[index];
      if (word === undefined || !word.ident) return parts.length > 0 ? parts : null;
      parts.push(word.text.startsWith('"') ? word.text.slice(1, -1).replaceAll('""', '"') : word.lower);
      if (words[index + 1]?.text !== '.') return parts;
    }
  };
  const written: string[][] = [];
  words.forEach((word, index) => {
    const next = words[index + 1];
    let name: string[] | null = null;
    if ((word.lower === 'insert' || word.lower === 'merge') && next?.lower === 'into') name = nameAt(index + 2);
    else if (word.lower === 'delete' && next?.lower === 'from') name = nameAt(index + 2);
    else if (word.lower === 'update' && words[index - 1]?.lower !== 'do') name = nameAt(index + 1);
    else if (word.lower === 'truncate') name = nameAt(next?.lower === 'table' ? index + 2 : index + 1);
    if (word.lower === 'update' && next?.lower === 'only') name = nameAt(index + 2);
    if (name !== null) written.push(name);
  });
  return written;
}
