// Stage verify: the composed statements against the server, once each, at the end. Describe confirms that the
// statement composed from the query and its includes is valid and that its params have the types compose gave them;
// EXPLAIN (GENERIC_PLAN) proves indexes find its rows and any sort runs over found rows only (the rule is the audit's:
// codegen/audit/generic-plan.ts), and records how. This runs on the empty schema: it is a property of the SQL and the indexes, not the data.
import type { Catalog } from '../analysis/catalog.js';
import type { SchemaConnection } from '../connection.js';
import { failed, ok, type CodegenError, type StageResult } from '../diagnostics.js';
import { parseSync } from 'libpg-query';
import { utilityStatement } from '../analysis/statement-kind.js';
import type { DescribedQuery, PlanCheck, VerifiedQuery } from './pipeline-data.js';
import { foundRejections, indexOrders, planProof, type PlanContext } from '../audit/generic-plan.js';
import type { PlanProof } from '../manifest/manifest.js';
import { pieceReading, piecesOf, type Piece } from './pieces.js';

function statementsOf(query: DescribedQuery): string[] {
  return query.final.kind === 'single' ? [query.final.text] : [query.final.first, query.final.after];
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Describe each composed statement; its params must have the types compose derived from the described pieces. */
async function describeComposed(connection: SchemaConnection, catalog: Catalog, query: DescribedQuery): Promise<CodegenError[]> {
  const error = (message: string, fix: string): CodegenError => ({ location: query.location, query: query.name, message, fix });
  for (const text of statementsOf(query)) {
    let paramTypes: readonly number[];
    try {
      paramTypes = (await connection.describe(text)).paramTypes;
    } catch (cause) {
      return [
        query.includes.length > 0
          ? error(
              `the statement composed with its includes was rejected: ${reason(cause)}`,
              'check that each include refers to its parent row as parent.<column> and that the column is selected',
            )
          : error(
              `the ${query.kind === 'list' ? 'keyset' : 'composed'} statement was rejected: ${reason(cause)}`,
              'this is a sqlbound bug: please report it with the query',
            ),
      ];
    }
    for (const param of query.describedParams) {
      const oid = paramTypes[param.position - 1];
      if (oid === undefined || oid === param.type.oid) continue;
      return [
        error(
          `param :${param.name} is ${param.type.name} in one piece of the query and ${catalog.type(oid).name} in the statement composed with its includes`,
          `cast every use of :${param.name} to one type, e.g. :${param.name}::${param.type.name}`,
        ),
      ];
    }
  }
  return [];
}

/** Why a statement cannot be planned, or null when EXPLAIN can plan it. */
function unplannable(text: string): string | null {
  const label = utilityStatement(parseSync(text).stmts?.[0]?.stmt);
  return label === null ? null : `${label} is a utility statement: PostgreSQL has no plan for it to check`;
}

/** The rule's view of the schema: a table by the name a plan gives it (unqualified), with its columns' types. */
function planContext(
  catalog: Catalog,
  query: DescribedQuery,
  pieces: readonly [Piece, ...Piece[]],
  indexes: PlanContext['indexes'],
): PlanContext {
  const tableOf: PlanContext['tableOf'] = (relation) => {
    // A plan names a relation without its schema: one match is the table, two are ambiguous (no suggestion).
    const matches = [...catalog.tablesByName.values()].filter((table) => table.name === relation);
    const table = matches.length === 1 ? matches[0] : undefined;
    if (table === undefined) return null;
    const columns = [...table.columns.values()].map((column) => ({ name: column.name, type: catalog.type(column.typeOid).name }));
    return { schema: table.schema, name: table.name, columns };
  };
  return {
    tableOf,
    indexes,
    order: query.kind === 'list' ? query.annotations.order : null,
    orderOf: (node) => {
      const piece = pieceReading(pieces, node.relation, node.alias);
      return piece === pieces[0] ? undefined : piece.order;
    },
    wholeTable: query.annotations.allowSeqscan !== null || query.kind === 'stream',
    sort: query.annotations.allowSort !== null,
  };
}

/**
 * EXPLAIN each composed statement: proven when indexes find and order its rows, else when indexes find them and a
 * sort orders only those; a finding is reported once per node type and table.
 */
async function checkPlans(
  connection: SchemaConnection,
  catalog: Catalog,
  query: DescribedQuery,
): Promise<{ errors: CodegenError[]; proofs: PlanProof[] }> {
  const errors: CodegenError[] = [];
  const proofs: PlanProof[] = [];
  const seen = new Set<string>();
  const pieces = piecesOf(query);
  let context: PlanContext | null = null;
  for (const text of statementsOf(query)) {
    if (unplannable(text) !== null) continue;
    context ??= planContext(catalog, query, pieces, await connection.indexes());
    const ordered = await connection.explain(text, 'ordered');
    if (indexOrders(ordered, context)) {
      proofs.push(planProof(ordered, { sorted: false, ordered: query.kind === 'list' || query.kind === 'stream' }));
      continue;
    }
    const found = await connection.explain(text, 'found');
    const rejections = foundRejections(found, context);
    if (rejections.length === 0) proofs.push(planProof(found, { sorted: true, ordered: query.kind === 'list' || query.kind === 'stream' }));
    for (const finding of rejections) {
      // Reported where the SQL that scans the table is written: an include's own line, not its parent's.
      const piece = pieceReading(pieces, finding.table, finding.alias);
      const key = `${piece.name}:${finding.nodeType}:${finding.table}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push({
        location: piece.location,
        query: piece.name,
        message: `${finding.detail} (table ${finding.table ?? 'unknown'})`,
        fix: finding.fix,
      });
    }
  }
  return { errors, proofs };
}

export async function verifyQuery(
  connection: SchemaConnection,
  catalog: Catalog,
  query: DescribedQuery,
): Promise<StageResult<VerifiedQuery>> {
  const described = await describeComposed(connection, catalog, query);
  if (described.length > 0) return failed(...described);
  const skipped = statementsOf(query)
    .map(unplannable)
    .find((why) => why !== null);
  const { errors, proofs } = await checkPlans(connection, catalog, query);
  if (errors.length > 0) return failed(...errors);
  const plan: PlanCheck = skipped === undefined ? { kind: 'checked', statements: proofs } : { kind: 'skipped', reason: skipped };
  return ok({ ...query, plan });
}
