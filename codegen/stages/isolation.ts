// Stage 7c: owner isolation, a compile-time guarantee. A statement that touches a table holding an owned column
// (config `owner`: by default `user_id`, and `id` of `users`) must be proven confined to the owner param's rows on
// every reference (./confinement.ts has the proof), or say `-- owner: any -- <reason>`. Pure: the composed statement's
// tree and the catalog in, a verdict or errors out, so an IDOR does not compile.
import type { Node } from '@pgsql/types';
import type { Catalog } from '../analysis/catalog.js';
import { failed, ok, type CodegenError, type StageResult } from '../diagnostics.js';
import type { Isolation } from '../manifest/manifest.js';
import { confinement, type OwnedColumn, type Unconfined } from './confinement.js';
import type { DescribedQuery } from './pipeline-data.js';

export type { OwnedColumn };

/** The example's and a fresh project's owner: users own their rows through `user_id`. */
export const DEFAULT_OWNER: OwnedColumn[] = [{ param: 'userId', column: 'user_id', table: 'users' }];

function error(query: DescribedQuery, problem: Unconfined): CodegenError {
  const where = problem.reference === problem.table ? problem.table : `${problem.table} (as ${problem.reference})`;
  const owner = problem.reference.endsWith('()') ? problem.reference : `${problem.reference}.${problem.column}`;
  return {
    location: query.location,
    query: query.name,
    message: `${query.name} touches ${where} without proving its rows are :${problem.param}'s: ${problem.why}`,
    fix: `${problem.fix ?? `add "${owner} = :${problem.param}" where it filters those rows (the WHERE, or the ON of the join that brings the table in)`}, or annotate the query "-- owner: any -- <reason>" if it must cross owners`,
  };
}

/**
 * The isolation of a composed query: `statements` are the trees it runs (a list's first page stands for both, the
 * second adds only a keyset predicate). `owners` is null when isolation is not enforced (the low-level API's
 * default): the verdict then only reports `any` annotations and otherwise `none`.
 */
export function isolationOf(
  query: DescribedQuery,
  statements: readonly (Node | undefined)[],
  catalog: Catalog,
  owners: readonly OwnedColumn[] | null,
): StageResult<Isolation> {
  const reason = query.annotations.ownerAny;
  if (reason !== null) return ok({ kind: 'any', reason });
  if (owners === null) return ok({ kind: 'none' });
  const specs = owners.map((owner) => ({
    ...owner,
    position: query.describedParams.find((param) => param.name === owner.param && !param.optional)?.position ?? null,
  }));
  const [first] = statements;
  const result = confinement(first, catalog, specs);
  if (result.unconfined.length > 0) return failed(...result.unconfined.map((problem) => error(query, problem)));
  if (!result.touched) return ok({ kind: 'none' });
  const params = specs.filter((spec) => spec.position !== null).map((spec) => spec.param);
  return ok({ kind: 'owner', param: params[0] ?? owners[0]?.param ?? '', params: [...new Set(params)] });
}
