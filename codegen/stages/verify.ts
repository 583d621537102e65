// Stage verify: the composed statements against the server, once each, at the end. Describe confirms that the
// statement composed from the query and its includes is valid and that its params have the types compose gave them;
// EXPLAIN (GENERIC_PLAN) with seqscan and sort disabled proves an index serves it (the rule is the audit's:
// codegen/audit/generic-plan.ts). This runs on the empty schema: it is a property of the SQL and the indexes, not the data.
import type { Catalog } from '../analysis/catalog.js';
import type { SchemaConnection } from '../connection.js';
import { failed, ok, type CodegenError, type StageResult } from '../diagnostics.js';
import { parseSync } from 'libpg-query';
import { utilityStatement } from '../analysis/statement-kind.js';
import type { DescribedQuery, PlanCheck, VerifiedQuery } from './pipeline-data.js';
import { planRejections } from '../audit/generic-plan.js';

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

/** EXPLAIN each composed statement; a finding is reported once per node type and table. */
async function checkPlans(connection: SchemaConnection, catalog: Catalog, query: DescribedQuery): Promise<CodegenError[]> {
  const errors: CodegenError[] = [];
  const seen = new Set<string>();
  const columnsOf = (table: string) => [...(catalog.tablesByName.get(table)?.columns.values() ?? [])].map((column) => column.name);
  for (const text of statementsOf(query)) {
    if (unplannable(text) !== null) continue;
    const plan = await connection.explain(text);
    for (const finding of planRejections(plan, columnsOf, query.annotations.allowSeqscan !== null)) {
      const key = `${finding.nodeType}:${finding.table}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push({
        location: query.location,
        query: query.name,
        message: `${finding.detail} (table ${finding.table ?? 'unknown'})`,
        fix: finding.fix,
      });
    }
  }
  return errors;
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
  const plan: PlanCheck = skipped === undefined ? { kind: 'checked' } : { kind: 'skipped', reason: skipped };
  const plans = await checkPlans(connection, catalog, query);
  return plans.length > 0 ? failed(...plans) : ok({ ...query, plan });
}
