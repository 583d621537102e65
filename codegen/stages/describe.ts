// Stage describe: types from the live database (the protocol's ParameterDescription and RowDescription, through
// ../connection.ts), nullability from the parse tree (../analysis/analyze.ts). Every statement a query needs, its
// includes' probes included, is described here once, before any check or composition.
import type { Node } from '@pgsql/types';
import { parseSync } from 'libpg-query';
import type { SchemaConnection, StatementShape } from '../connection.js';
import { analyzeStatement, type StatementAnalysis } from '../analysis/analyze.js';
import type { Catalog } from '../analysis/catalog.js';
import { NO_KEYS, type Keys } from '../analysis/key-sets.js';
import { matchColumns, type MatchedColumn } from '../analysis/match-columns.js';
import type { DescribedBase, DescribedColumn, ParsedQuery } from './pipeline-data.js';
import { failed, ok, type CodegenError, type StageResult } from '../diagnostics.js';

/**
 * `notes` say why a column the analysis could not prove was left nullable (codegen --debug prints them).
 * `keys` are in Describe's column positions.
 */
export type Described = { query: DescribedBase; singleRow: boolean; keys: Keys; ast: Node | undefined; notes: string[] };

/** Keys name analysed items; they hold for Describe's columns only when every column was paired one to one. */
function describedKeys(analysis: StatementAnalysis, matched: MatchedColumn[]): Keys {
  const oneToOne = analysis.items.every((item) => item.kind === 'column') && matched.length === analysis.items.length;
  return oneToOne && matched.every((pairing) => !('note' in pairing)) ? analysis.keys : NO_KEYS;
}

/** The analysis never stops codegen: if it fails, every column is nullable and a note says why. */
function safeAnalysis(ast: Node | undefined, catalog: Catalog, optional: ReadonlySet<number>): StatementAnalysis {
  try {
    return analyzeStatement(ast, catalog, optional);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      items: [{ kind: 'opaque', reason: 'a failed analysis' }],
      singleRow: false,
      keys: NO_KEYS,
      tables: { read: [], written: [] },
      notes: [`the nullability analysis failed (${reason}); every column is nullable`],
    };
  }
}

function lineOf(text: string, position: number): number {
  return text.slice(0, Math.max(0, position - 1)).split('\n').length - 1;
}

function errorFields(error: unknown): { message: string; code: string | null; position: number | null } {
  if (!(error instanceof Error)) return { message: String(error), code: null, position: null };
  const code: unknown = Reflect.get(error, 'code');
  const position: unknown = Reflect.get(error, 'position');
  return {
    message: error.message,
    code: typeof code === 'string' ? code : null,
    position: typeof position === 'string' || typeof position === 'number' ? Number(position) : null,
  };
}

function databaseRejection(query: ParsedQuery, error: unknown): CodegenError {
  const { message, code, position } = errorFields(error);
  const line = query.sqlLine + (position === null ? 0 : lineOf(query.text, position));
  const location = { file: query.location.file, line };
  const paramMatch = /parameter \$(\d+)/.exec(message);
  const param = paramMatch ? query.params.find((p) => p.position === Number(paramMatch[1])) : undefined;
  if (code === '42P08' && param) {
    return {
      location,
      query: query.name,
      message: `param :${param.name} is used with conflicting types (${message})`,
      fix: `cast every use of :${param.name} to one type, e.g. :${param.name}::int8`,
    };
  }
  if (code === '42P18' && param) {
    return {
      location,
      query: query.name,
      message: `the type of param :${param.name} cannot be inferred (${message})`,
      fix: `add a cast, e.g. :${param.name}::text`,
    };
  }
  return {
    location,
    query: query.name,
    message: `the database rejected the SQL: ${message}${code ? ` (SQLSTATE ${code})` : ''}`,
    fix: 'correct the statement; the line points at the reported position',
  };
}

/** When a rejected statement uses a param more than once, describe each use apart and compare their types. */
async function conflictingParam(connection: SchemaConnection, catalog: Catalog, query: ParsedQuery): Promise<CodegenError | null> {
  const { occurrences } = query.probe;
  if (new Set(occurrences).size === occurrences.length) return null;
  let types: readonly number[];
  try {
    types = (await connection.describe(query.probe.text)).paramTypes;
  } catch {
    return null;
  }
  for (const param of query.params) {
    const used = [...new Set(occurrences.flatMap((name, index) => (name === param.name ? [catalog.type(types[index] ?? 25).name] : [])))];
    if (used.length > 1) {
      return {
        location: { file: query.location.file, line: query.sqlLine },
        query: query.name,
        message: `param :${param.name} is used with conflicting types: ${used.join(' and ')}`,
        fix: `use one type for :${param.name} (cast each use, e.g. :${param.name}::${used[0]}), or split it into two params`,
      };
    }
  }
  return null;
}

/** The statement's one parse tree, or the parser's rejection at its position. */
function parseStatement(query: ParsedQuery): StageResult<Node | undefined> {
  try {
    const stmts = parseSync(query.text).stmts ?? [];
    if (stmts.length !== 1) {
      return failed({
        location: { file: query.location.file, line: query.sqlLine },
        query: query.name,
        message: `query ${query.name} holds ${stmts.length} statements`,
        fix: 'write one statement per named query',
      });
    }
    return ok(stmts[0]?.stmt);
  } catch (error) {
    const details: unknown = error instanceof Error ? Reflect.get(error, 'sqlDetails') : undefined;
    const cursor: unknown = typeof details === 'object' && details !== null ? Reflect.get(details, 'cursorPosition') : undefined;
    return failed(
      databaseRejection(
        query,
        Object.assign(new Error(errorFields(error).message), { position: typeof cursor === 'number' ? cursor + 1 : null }),
      ),
    );
  }
}

/** One Parse/Describe of the query's statement: its shape, or the server's rejection as a diagnostic. */
async function describeShape(connection: SchemaConnection, catalog: Catalog, query: ParsedQuery): Promise<StageResult<StatementShape>> {
  try {
    return ok(await connection.describe(query.text));
  } catch (error) {
    return failed((await conflictingParam(connection, catalog, query)) ?? databaseRejection(query, error));
  }
}

export async function describeQuery(connection: SchemaConnection, catalog: Catalog, query: ParsedQuery): Promise<StageResult<Described>> {
  const parsed = parseStatement(query);
  if (parsed.kind === 'error') return parsed;
  const ast = parsed.value;
  const shape = await describeShape(connection, catalog, query);
  if (shape.kind === 'error') return shape;
  return analyzeShape(catalog, query, ast, shape.value);
}

/** The pure half of describe: the server's shape joined with what the parse tree proves (nullability, keys, tables). */
function analyzeShape(catalog: Catalog, query: ParsedQuery, ast: Node | undefined, statement: StatementShape): StageResult<Described> {
  const optional = new Set(query.params.filter((p) => p.optional).map((p) => p.position));
  const analysis = safeAnalysis(ast, catalog, optional);
  const matched = matchColumns(analysis.items, statement.columns, (oid) => catalog.tables.get(oid)?.displayName ?? `relation ${oid}`);
  // A note explains a nullable column; a statement without columns (TRUNCATE, NOTIFY, CALL without OUT) has none.
  const notes = statement.columns.length === 0 ? [] : [...analysis.notes];
  const columns: DescribedColumn[] = statement.columns.map((column, index) => {
    const table = catalog.tables.get(column.table);
    const attribute = table?.columns.get(column.number);
    const pairing = matched[index];
    if (pairing !== undefined && 'note' in pairing) notes.push(pairing.note);
    return {
      name: column.name,
      type: catalog.type(column.type),
      // Unproven means nullable: an expression is non-null only when the tree proves it or the author says so.
      nullable: query.annotations.notNull.includes(column.name)
        ? false
        : pairing === undefined || 'note' in pairing || pairing.column.nullable,
      origin:
        table && attribute ? { tableOid: table.oid, table: table.displayName, attnum: attribute.attnum, column: attribute.name } : null,
    };
  });
  for (const name of query.annotations.notNull) {
    if (!columns.some((column) => column.name === name)) {
      return failed({
        location: query.location,
        query: query.name,
        message: `"-- not-null: ${name}" names no output column`,
        fix: `use one of: ${columns.map((column) => column.name).join(', ')}`,
      });
    }
  }
  const describedParams = query.params.map((param) => {
    const oid = statement.paramTypes[param.position - 1];
    return { ...param, type: catalog.type(oid ?? 25) };
  });
  return ok({
    query: { ...query, describedParams, columns, tables: analysis.tables },
    singleRow: analysis.singleRow,
    keys: describedKeys(analysis, matched),
    ast,
    notes,
  });
}
