// Codegen's plan rule (codegen/audit/generic-plan.ts) on hand-built generic plans: which plans pass, which fail, and
// that every fix is a schema-qualified index of the access method the operator needs, never an empty column list and
// never an index that exists. The golden cases (test/golden/cases/index_proof_*) run the same rule on real plans.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlan, type PlanNode } from '../../codegen/audit/explain.js';
import { foundRejections, indexOrders, planProof, type PlanContext } from '../../codegen/audit/generic-plan.js';
import type { ExistingIndex, TableShape } from '../../codegen/audit/suggest.js';

const items: TableShape = {
  schema: 'app',
  name: 'items',
  columns: [
    { name: 'id', type: 'int8' },
    { name: 'owner_id', type: 'int8' },
    { name: 'title', type: 'text' },
    { name: 'created_at', type: 'timestamptz' },
    { name: 'search', type: 'tsvector' },
    { name: 'attrs', type: 'jsonb' },
    { name: 'tags', type: '_text' },
    { name: 'during', type: 'tstzrange' },
  ],
};

function context(fields: Partial<PlanContext> = {}): PlanContext {
  return {
    tableOf: (relation) => (relation === 'items' ? items : null),
    indexes: [],
    order: [
      { column: 'created_at', direction: 'DESC' },
      { column: 'id', direction: 'DESC' },
    ],
    wholeTable: false,
    sort: false,
    ...fields,
  };
}

const plan = (node: Record<string, unknown>): PlanNode => parsePlan([{ Plan: node }]);
const seqScan = (filter: string | null) => ({
  'Node Type': 'Seq Scan',
  'Relation Name': 'items',
  Alias: 'items',
  Disabled: true,
  Filter: filter,
});
const fixes = (root: PlanNode, ctx = context()) => foundRejections(root, ctx).map((rejection) => rejection.fix);

test('a walk of a whole index with a filter does not order found rows; a sort over found rows passes the found plan', () => {
  const walk = plan({ 'Node Type': 'Index Scan', 'Relation Name': 'items', 'Index Name': 'items_created', Filter: '(search @@ $1)' });
  assert.equal(indexOrders(walk, context()), false);
  const found = plan({
    'Node Type': 'Sort',
    'Sort Key': ['items.created_at DESC', 'items.id DESC'],
    'Plan Rows': 12,
    Plans: [
      {
        'Node Type': 'Bitmap Heap Scan',
        'Relation Name': 'items',
        'Recheck Cond': '(search @@ $1)',
        Plans: [{ 'Node Type': 'Bitmap Index Scan', 'Index Name': 'items_search', 'Index Cond': '(search @@ $1)' }],
      },
    ],
  });
  assert.deepEqual(foundRejections(found, context()), []);
  assert.deepEqual(planProof(found, { sorted: true, ordered: true }).foundBy, ['items_search']);
});

test('each operator gets the access method whose operator class serves it, schema-qualified', () => {
  assert.deepEqual(fixes(plan(seqScan('(search @@ $1)'))), ['CREATE INDEX ON app.items USING gin (search);']);
  assert.deepEqual(fixes(plan(seqScan('(attrs @> $1)'))), ['CREATE INDEX ON app.items USING gin (attrs);']);
  assert.deepEqual(fixes(plan(seqScan("(attrs ? 'k'::text)"))), ['CREATE INDEX ON app.items USING gin (attrs);']);
  assert.deepEqual(fixes(plan(seqScan('(tags && $1)'))), ['CREATE INDEX ON app.items USING gin (tags);']);
  assert.deepEqual(fixes(plan(seqScan('(during && tstzrange($1, $2))'))), ['CREATE INDEX ON app.items USING gist (during);']);
  // Equality first, then the list's order: one btree finds and orders the rows.
  assert.deepEqual(fixes(plan(seqScan('((owner_id = $1) AND (search @@ $2))'))), [
    'CREATE INDEX ON app.items (owner_id, created_at DESC, id DESC);',
  ]);
});

test('no fix is a column list the operator cannot use, an empty list, or an index that exists', () => {
  // A LIKE on text: no default operator class serves it, so no index is named.
  const [unusable] = fixes(plan(seqScan("((title)::text ~~ 'a%'::text)")), context({ order: null }));
  assert.doesNotMatch(unusable ?? '', /CREATE INDEX|\(\s*\)/);
  const existing: ExistingIndex = {
    schema: 'app',
    table: 'items',
    name: 'items_search',
    method: 'gin',
    keys: ['search'],
    descending: [false],
    partial: false,
  };
  const [present] = fixes(plan(seqScan('(search @@ $1)')), context({ indexes: [existing] }));
  assert.match(present ?? '', /^the gin index app\.items_search on \(search\) exists/);
});

test('an existing btree counts by its columns and directions: pinned keys in any order, the order either way', () => {
  const btree = (name: string, keys: string[], descending: boolean[]): ExistingIndex => ({
    schema: 'app',
    table: 'items',
    name,
    method: 'btree',
    keys,
    descending,
    partial: false,
  });
  const filtered = plan(seqScan('((owner_id = $1) AND (title = $2))'));
  const suggested = 'CREATE INDEX ON app.items (owner_id, title, created_at DESC, id DESC);';
  assert.deepEqual(fixes(filtered), [suggested]);
  // The same index with the pinned columns swapped, or with the order reversed (a backward scan), exists already.
  const swapped = btree('items_title_owner', ['title', 'owner_id', 'created_at', 'id'], [false, false, true, true]);
  const reversed = btree('items_owner_title_asc', ['owner_id', 'title', 'created_at', 'id'], [false, false, false, false]);
  for (const index of [swapped, reversed]) {
    const [fix] = fixes(filtered, context({ indexes: [index] }));
    assert.match(fix ?? '', new RegExp(`^the btree index app\\.${index.name} on .* exists`), index.name);
  }
  // Mixed directions give another order, and another table's index is not this one: both still suggest it.
  const mixed = btree('items_owner_title_mixed', ['owner_id', 'title', 'created_at', 'id'], [false, false, true, false]);
  const elsewhere = { ...swapped, schema: 'other' };
  assert.deepEqual(fixes(filtered, context({ indexes: [mixed, elsewhere] })), [suggested]);
});

test('an order that names a column twice is suggested with it once', () => {
  const repeated = context({
    order: [
      { column: 'created_at', direction: 'DESC' },
      { column: 'id', direction: 'DESC' },
      { column: 'id', direction: 'DESC' },
    ],
  });
  assert.deepEqual(fixes(plan(seqScan('(owner_id = $1)')), repeated), ['CREATE INDEX ON app.items (owner_id, created_at DESC, id DESC);']);
});

test('a whole table is read by a :stream (or allow: seqscan), but its sort needs an index or allow: sort', () => {
  const sorted = plan({ 'Node Type': 'Sort', 'Sort Key': ['title'], Plans: [seqScan(null)] });
  const stream = context({ wholeTable: true, order: null });
  assert.deepEqual(fixes(sorted, stream), ['CREATE INDEX ON app.items (title);']);
  assert.deepEqual(foundRejections(sorted, { ...stream, sort: true }), []);
  assert.deepEqual(foundRejections(plan(seqScan(null)), stream), []);
});

test("a window function's own sort over a whole table is named, with how to rewrite", () => {
  const window = plan({
    'Node Type': 'WindowAgg',
    Plans: [{ 'Node Type': 'Sort', 'Sort Key': ['items.created_at'], Plans: [seqScan(null)] }],
  });
  const [first] = foundRejections(window, context());
  assert.match(first?.detail ?? '', /^the window function's own sort .* the list's keyset applies outside the query/);
});

test('a scan joined by a recursive CTE is indexed on its join column', () => {
  const tree = plan({
    'Node Type': 'Recursive Union',
    Plans: [
      {
        'Node Type': 'Hash Join',
        'Hash Cond': '(items.owner_id = t.id)',
        Plans: [seqScan(null), { 'Node Type': 'WorkTable Scan', Alias: 't' }],
      },
    ],
  });
  const [rejection] = foundRejections(tree, context({ order: null }));
  assert.match(rejection?.detail ?? '', /in the recursive CTE/);
  assert.equal(rejection?.fix, 'CREATE INDEX ON app.items (owner_id);');
});
