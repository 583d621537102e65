// The step from the pipeline's working data (described, checked, composed queries) to the model every later reader
// uses (manifest.ts). Only here do pipeline details (OIDs of origins, parse trees, locations of includes) drop out.
import type { ColumnModel, IncludeModel, QueryModel, TypeModel } from '../manifest/manifest.js';
import { isReadOnly } from './check.js';
import type { DescribedColumn, DescribedInclude, PgType, VerifiedQuery } from './pipeline-data.js';

/** How a pipeline type is declared in the model: the config's overrides (overrides.ts), or as it is. */
export type TypeMapper = (type: PgType) => TypeModel;

function columnModel(column: DescribedColumn, mapType: TypeMapper): ColumnModel {
  return {
    name: column.name,
    type: mapType(column.type),
    nullable: column.nullable,
    origin: column.origin === null ? null : `${column.origin.table}.${column.origin.column}`,
  };
}

function includeModel(include: DescribedInclude, mapType: TypeMapper): IncludeModel {
  return {
    name: include.name,
    path: include.path,
    cardinality: include.cardinality,
    limit: include.limit,
    optional: include.optional,
    columns: include.columns.map((column) => columnModel(column, mapType)),
    includes: include.children.map((child) => includeModel(child, mapType)),
  };
}

export function toQueryModel(query: VerifiedQuery, mapType: TypeMapper = ({ name, ts }) => ({ name, ts })): QueryModel {
  return {
    name: query.name,
    kind: query.kind,
    file: query.location.file,
    line: query.location.line,
    sql: query.source,
    text: query.text,
    statements: query.final,
    params: query.describedParams.map((param) => ({
      name: param.name,
      position: param.position,
      optional: param.optional,
      type: mapType(param.type),
    })),
    columns: query.columns.map((column) => columnModel(column, mapType)),
    includes: query.includes.map((include) => includeModel(include, mapType)),
    tables: query.tables,
    order: query.annotations.order,
    cache: query.cachePolicy,
    effect: query.effect,
    budgetMs: query.annotations.budgetMs,
    allowSeqscan: query.annotations.allowSeqscan,
    allowSort: query.annotations.allowSort,
    readOnly: isReadOnly(query.kind, query.tables.written),
    plan: query.plan,
    replica: query.annotations.replica,
    isolation: query.isolation,
  };
}
