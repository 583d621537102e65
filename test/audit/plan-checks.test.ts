// The plan checks on hand-built plans: each rule, its noise floor, and that nodes deep in the tree count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPlan, sortsOf, type CheckContext } from '../../codegen/audit/checks.js';
import { indexesUsed, parseExplain, summarize, type PlanNode } from '../../codegen/audit/explain.js';
import { percentile } from '../../codegen/audit/plan-audit.js';
import { conjuncts, equalityColumns, type TableShape } from '../../codegen/audit/suggest.js';

function node(nodeType: string, fields: Partial<PlanNode> = {}, children: PlanNode[] = []): PlanNode {
  return {
    nodeType,
    relation: null,
    index: null,
    actualRows: 1,
    loops: 1,
    totalMs: 0,
    rowsRemovedByFilter: 0,
    rowsRemovedByJoinFilter: 0,
    filter: null,
    alias: null,
    joinCond: null,
    indexCond: null,
    recheckCond: null,
    sortKey: [],
    sortMethod: null,
    sortSpaceType: null,
    sortSpaceUsedKb: null,
    disabled: false,
    ...fields,
    children,
  };
}

const alerts: TableShape = {
  schema: 'public',
  name: 'alerts',
  columns: ['id', 'user_id', 'exposure_id', 'severity', 'read_at', 'created_at'].map((name) => ({
    name,
    type: name.endsWith('at') ? 'timestamptz' : 'int8',
  })),
};

const context = (overrides: Partial<CheckContext> = {}): CheckContext => ({
  queryKind: 'list',
  allowSeqscan: null,
  allowSort: null,
  tableRows: new Map([
    ['alerts', 2_000_000],
    ['exposures', 1_000_000],
    ['data_brokers', 250],
  ]),
  orderTable: 'alerts',
  order: [
    { column: 'created_at', direction: 'DESC' },
    { column: 'id', direction: 'DESC' },
  ],
  catalog: { tableOf: (relation) => (relation === 'alerts' ? alerts : null), indexes: [] },
  foundSortFloor: null,
  ...overrides,
});

// The fix codegen's plan check would give: the audit spells it with the same function.
const expectedIndex = 'CREATE INDEX ON public.alerts (user_id, created_at DESC, id DESC);';

const seqScanAlerts = (rows = 20) =>
  node('Seq Scan', { relation: 'alerts', filter: "(user_id = '5'::bigint)", actualRows: rows, rowsRemovedByFilter: 1_999_980 });

test('a list read by Seq Scan and Sort is flagged three ways, each with the index that fixes it', () => {
  const plan = node('Limit', {}, [
    node('Sort', { sortKey: ['alerts.created_at DESC', 'alerts.id DESC'], sortMethod: 'top-N heapsort', actualRows: 20 }, [
      seqScanAlerts(),
    ]),
  ]);
  const findings = checkPlan(plan, context());
  assert.deepEqual(findings.map((finding) => finding.kind).sort(), ['filter_ratio', 'seq_scan', 'table_sort']);
  for (const finding of findings) assert.equal(finding.fix, expectedIndex);
});

test('nodes deep in the tree are checked, and small tables and allow-seqscan are not flagged', () => {
  const deep = node('Nested Loop', {}, [
    node('Index Scan', { relation: 'exposures', index: 'exposures_pkey' }),
    node('Aggregate', {}, [seqScanAlerts(3)]),
  ]);
  assert.ok(checkPlan(deep, context({ queryKind: 'one' })).some((finding) => finding.kind === 'seq_scan'));
  assert.deepEqual(checkPlan(deep, context({ queryKind: 'one', allowSeqscan: 'audit test' })), []);
  const small = node('Seq Scan', { relation: 'data_brokers', actualRows: 250 });
  assert.deepEqual(checkPlan(small, context()), []);
});

test('a Sort over bounded pages is not flagged; one over an unbounded big scan is, even beside an include Limit', () => {
  // listExposures' shape: the page (Limit over the index) is hashed and joined with the 250 brokers, then re-sorted.
  const page = node('Limit', { actualRows: 51 }, [
    node('Index Scan', { relation: 'exposures', index: 'exposures_user_created_idx', actualRows: 51 }),
  ]);
  const include = node('Aggregate', {}, [
    node('Limit', {}, [node('Index Scan', { relation: 'alerts', index: 'alerts_exposure_created_idx' })]),
  ]);
  const bounded = node('Sort', { sortKey: ['exposures.created_at DESC'], actualRows: 51 }, [
    node('Nested Loop Left Join', { actualRows: 51 }, [
      node('Hash Right Join', { actualRows: 51 }, [
        node('Seq Scan', { relation: 'data_brokers', actualRows: 250 }),
        node('Hash', {}, [page]),
      ]),
      include,
    ]),
  ]);
  assert.deepEqual(checkPlan(bounded, context({ orderTable: 'exposures' })), []);
  // Measured as a sort of found rows beside a small table read whole (the 250 brokers), judged by the budget.
  assert.deepEqual(
    sortsOf(bounded, context({ orderTable: 'exposures' })).map((sort) => sort.over),
    ['small'],
  );

  const unbounded = node('Limit', {}, [
    node('Sort', { sortKey: ['alerts.created_at DESC'], actualRows: 51 }, [
      node('Nested Loop Left Join', { actualRows: 3 }, [seqScanAlerts(3), include]),
    ]),
  ]);
  assert.ok(checkPlan(unbounded, context()).some((finding) => finding.kind === 'table_sort'));
  // A few rows sorted from a small table is the planner's cheapest plan, not a missing index.
  const tiny = node('Sort', { sortKey: ['scans.created_at DESC'] }, [node('Bitmap Heap Scan', { relation: 'scans', actualRows: 3 })]);
  assert.deepEqual(checkPlan(tiny, context({ tableRows: new Map([['scans', 900]]), orderTable: 'scans' })), []);
  // A sort over a whole big table is an error whatever the query's kind.
  assert.ok(checkPlan(unbounded, context({ queryKind: 'one' })).some((finding) => finding.kind === 'table_sort'));
});

// A GIN search ordered by a btree column: the bitmap finds 40k rows of a 2M-row table, and the sort orders only those.
const foundSort = (rows: number) =>
  node('Limit', { totalMs: 30 }, [
    node('Sort', { sortKey: ['books.created_at DESC', 'books.id DESC'], sortMethod: 'top-N heapsort', totalMs: 29, actualRows: 51 }, [
      node('Bitmap Heap Scan', { relation: 'books', recheckCond: "(search @@ '''goodby'''::tsquery)", actualRows: rows, totalMs: 20 }, [
        node('Bitmap Index Scan', { index: 'books_search', indexCond: "(search @@ '''goodby'''::tsquery)", actualRows: rows, totalMs: 4 }),
      ]),
    ]),
  ]);
const books = new Map([['books', 2_000_000]]);

test('a sort over rows an index found is no finding: it is measured (rows, own time) for the budget to judge', () => {
  const plan = foundSort(40_000);
  assert.deepEqual(checkPlan(plan, context({ tableRows: books, orderTable: 'books' })), []);
  const [sort, ...others] = sortsOf(plan, context({ tableRows: books, orderTable: 'books' }));
  assert.deepEqual(others, []);
  assert.equal(sort?.over, 'found');
  assert.equal(sort.inputRows, 40_000);
  assert.equal(sort.table, null);
  // Its own time: 29 ms in all, 20 of them the scan under it.
  assert.equal(sort.ms, 9);
  assert.equal(sort.method, 'top-N heapsort');
  // The live audit has no budget: there, a sort of more found rows than a big table holds is a finding.
  const live = checkPlan(plan, context({ queryKind: 'live', tableRows: books, orderTable: 'books', foundSortFloor: 10_000 }));
  assert.deepEqual(
    live.map((finding) => finding.kind),
    ['table_sort'],
  );
  assert.deepEqual(
    checkPlan(foundSort(500), context({ queryKind: 'live', tableRows: books, orderTable: 'books', foundSortFloor: 10_000 })),
    [],
  );
});

test('a sort over a whole table is an error unless the query says allow: sort; a walk of a whole index counts as whole', () => {
  const walkAll = node(
    'Sort',
    { sortKey: ['alerts.severity'], sortMethod: 'external merge', sortSpaceType: 'Disk', sortSpaceUsedKb: 90_000 },
    [node('Index Scan', { relation: 'alerts', index: 'alerts_pkey', actualRows: 2_000_000 })],
  );
  const kinds = checkPlan(walkAll, context()).map((finding) => finding.kind);
  assert.deepEqual(kinds.sort(), ['sort_spill', 'table_sort']);
  const tableSort = checkPlan(walkAll, context()).find((finding) => finding.kind === 'table_sort');
  assert.match(tableSort?.message ?? '', /over every row of alerts \(~2000000 rows, Index Scan\)/);
  // Allowed: listed by the report with its method and rows, not failed.
  const allowed = context({ allowSort: 'a nightly report sorts every alert' });
  assert.deepEqual(checkPlan(walkAll, allowed), []);
  assert.deepEqual(
    sortsOf(walkAll, allowed).map((sort) => [sort.over, sort.table, sort.inputRows]),
    [['table', 'alerts', 2_000_000]],
  );
  // allow: seqscan lets a table be read whole, not sorted whole: the two hatches are separate.
  assert.deepEqual(
    checkPlan(walkAll, context({ allowSeqscan: 'reads all alerts' }))
      .map((finding) => finding.kind)
      .sort(),
    ['sort_spill', 'table_sort'],
  );
});

test('a :stream may read a whole table without an annotation; it may not sort one', () => {
  const exportAll = node('Seq Scan', { relation: 'alerts', actualRows: 2_000_000 });
  assert.deepEqual(checkPlan(exportAll, context({ queryKind: 'stream' })), []);
  assert.deepEqual(
    checkPlan(exportAll, context({ queryKind: 'one' })).map((finding) => finding.kind),
    ['seq_scan'],
  );
  const sorted = node('Sort', { sortKey: ['alerts.created_at'] }, [exportAll]);
  assert.deepEqual(
    checkPlan(sorted, context({ queryKind: 'stream' })).map((finding) => finding.kind),
    ['table_sort'],
  );
});

test('rows removed by filter count over all loops, above a floor', () => {
  const perLoop = node('Index Scan', {
    relation: 'alerts',
    index: 'alerts_user_created_idx',
    actualRows: 1,
    loops: 200,
    rowsRemovedByFilter: 12,
  });
  assert.equal(checkPlan(perLoop, context({ queryKind: 'one' }))[0]?.kind, 'filter_ratio');
  const noise = node('Index Scan', { relation: 'alerts', actualRows: 1, rowsRemovedByFilter: 900 });
  assert.deepEqual(checkPlan(noise, context({ queryKind: 'one' })), []);
});

test('a sort that spills to disk is flagged for any kind of query', () => {
  const spill = node('Sort', { sortMethod: 'external merge', sortSpaceType: 'Disk', sortSpaceUsedKb: 51_200, sortKey: ['x'] }, [
    node('Limit', {}, []),
  ]);
  assert.deepEqual(
    checkPlan(spill, context({ queryKind: 'one', orderTable: null })).map((f) => f.kind),
    ['sort_spill'],
  );
});

test('equality columns come from top-level conjuncts only, constants, params and outer columns alike', () => {
  assert.deepEqual(conjuncts("((user_id = '5'::bigint) AND ((severity = 'high'::alert_severity) OR (read_at IS NULL)))"), [
    "user_id = '5'::bigint",
    "(severity = 'high'::alert_severity) OR (read_at IS NULL)",
  ]);
  assert.deepEqual(equalityColumns(["((user_id = '5'::bigint) AND ((severity = $2) OR ($2 IS NULL)))"]), ['user_id']);
  assert.deepEqual(equalityColumns(['(a.user_id = u.id)', "(status = 'detected'::exposure_status)", null]), ['user_id', 'status']);
});

test('an audit fix is never an index that exists, and a table the catalog does not know gets the prose fix', () => {
  const plan = node('Seq Scan', { relation: 'alerts', filter: "(user_id = '5'::bigint)", actualRows: 20 });
  const existing = {
    schema: 'public',
    table: 'alerts',
    name: 'alerts_user_created_idx',
    method: 'btree',
    keys: ['user_id', 'created_at', 'id'],
    descending: [false, true, true],
    partial: false,
  };
  const withIndex = context({ catalog: { tableOf: () => alerts, indexes: [existing] } });
  const [present] = checkPlan(plan, withIndex).map((finding) => finding.fix);
  assert.match(present ?? '', /^the btree index public\.alerts_user_created_idx on \(user_id, created_at, id\) exists/);
  assert.doesNotMatch(present ?? '', /CREATE INDEX/);
  const unknown = context({ catalog: { tableOf: () => null, indexes: [] } });
  assert.match(checkPlan(plan, unknown)[0]?.fix ?? '', /^add an index that serves the filter on alerts/);
});

test('EXPLAIN JSON is parsed into the tree, with indexes and a one-line shape', () => {
  const explained = parseExplain([
    {
      Plan: {
        'Node Type': 'Limit',
        'Actual Rows': 51,
        'Actual Loops': 1,
        Plans: [
          {
            'Node Type': 'Index Scan',
            'Relation Name': 'alerts',
            'Index Name': 'alerts_user_created_idx',
            'Actual Rows': 51,
            'Actual Loops': 1,
          },
        ],
      },
      'Planning Time': 0.1,
      'Execution Time': 0.2,
    },
  ]);
  assert.deepEqual(indexesUsed(explained.root), ['alerts_user_created_idx']);
  assert.equal(summarize(explained.root), 'Limit → Index Scan alerts (alerts_user_created_idx)');
  assert.throws(() => parseExplain([{ Plan: { 'Node Type': 'Result' } }]), /ANALYZE/);
});

test('percentiles are nearest-rank', () => {
  const values = Array.from({ length: 20 }, (_, k) => k + 1);
  assert.equal(percentile(values, 0.5), 10);
  assert.equal(percentile(values, 0.95), 19);
  assert.equal(percentile([7], 0.95), 7);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});
