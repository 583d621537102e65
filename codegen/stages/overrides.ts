// The config's type overrides, applied where the pipeline's types become the model's: int8 as bigint or number
// instead of its exact decimal string, and a TypeScript type of the project's own for a domain. Only the declared
// type changes; generated code revives the value into it (revive.ts), so the declared type stays the runtime type.
import type { Catalog } from '../analysis/catalog.js';
import type { TsType, TypeModel } from '../manifest/manifest.js';
import type { PgType } from './pipeline-data.js';

export type TypeOverrides = {
  int8: 'string' | 'bigint' | 'number';
  /** By `schema.domain` or by bare domain name. */
  domains: Readonly<Record<string, { type: string; import?: string | undefined }>>;
};

export const NO_OVERRIDES: TypeOverrides = { int8: 'string', domains: {} };

export function overrideType(type: PgType, overrides: TypeOverrides, catalog: Pick<Catalog, 'declaration'>): TypeModel {
  const declared = catalog.declaration(type.oid);
  if (declared !== null && declared.typtype === 'd') {
    const override = overrides.domains[`${declared.schema}.${declared.name}`] ?? overrides.domains[declared.name];
    if (override !== undefined) {
      const base: TsType = type.name === 'int8' ? int8Ts(type.ts, overrides) : type.ts;
      return { name: type.name, ts: { kind: 'named', name: override.type, from: override.import ?? null, base } };
    }
  }
  // Only the scalar: arrays of int8 stay string[] as node-postgres returns them.
  return { name: type.name, ts: type.name === 'int8' ? int8Ts(type.ts, overrides) : type.ts };
}

function int8Ts(ts: TsType, overrides: TypeOverrides): TsType {
  if (overrides.int8 === 'string' || ts.kind !== 'primitive') return ts;
  return { kind: 'primitive', ts: overrides.int8 };
}
