// Codegen's plan rule (codegen/audit/generic-plan.ts) on generic plans: every fix it suggests is an index statement
// with columns, never `CREATE INDEX ON t ()`; where the condition names no column, the fix says what to index instead.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlan } from '../../codegen/audit/explain.js';
import { planRejections } from '../../codegen/audit/generic-plan.js';

const columnsOf = (table: string) => (table === 'items' ? ['id', 'owner_id', 'title'] : []);

const plan = (node: Record<string, unknown>) => parsePlan([{ Plan: node }]);

test('a full index scan filtering by columns suggests an index on those columns', () => {
  const rejections = planRejections(
    plan({ 'Node Type': 'Index Scan', 'Relation Name': 'items', 'Index Name': 'items_pkey', Filter: '(owner_id = $1)' }),
    columnsOf,
    false,
  );
  assert.deepEqual(
    rejections.map((rejection) => rejection.fix),
    ['CREATE INDEX ON items (owner_id);'],
  );
});

test('a full index scan whose filter names no column gets no empty column list', () => {
  const rejections = planRejections(
    plan({ 'Node Type': 'Index Scan', 'Relation Name': 'items', 'Index Name': 'items_pkey', Filter: "(($1)::text = 'x'::text)" }),
    columnsOf,
    false,
  );
  assert.equal(rejections.length, 1);
  const fix = rejections[0]?.fix ?? '';
  assert.doesNotMatch(fix, /\(\s*\)/);
  assert.match(fix, /^add an index on items that finds the rows of \(\(\$1\)::text = 'x'::text\)/);
});

test('a quoted table name is quoted in the fix', () => {
  const rejections = planRejections(
    plan({ 'Node Type': 'Seq Scan', 'Relation Name': 'Items', Disabled: true, Filter: '(title = $1)' }),
    (table) => (table === 'Items' ? ['title'] : []),
    false,
  );
  assert.deepEqual(
    rejections.map((rejection) => rejection.fix),
    ['CREATE INDEX ON "Items" (title);'],
  );
});
