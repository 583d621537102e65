// The page as HTML, rendered on the server from PageData: one document for the first load, and its <main> alone
// for the refresh, which a dozen lines of inline JavaScript fetch every few seconds and swap in. No build step,
// no library, nothing loaded from elsewhere (the Content-Security-Policy in page.ts allows nothing else).
import { match } from 'ts-pattern';
import type { CatalogSnapshot } from './catalog.js';
import type { BudgetVerdict, PageData, QueryRow } from './snapshot.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const e = escapeHtml;

function ms(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function percent(value: number | null): string {
  return value === null ? '–' : `${(value * 100).toFixed(value >= 0.995 || value < 0.1 ? 1 : 0)}%`;
}

function bytes(value: number | null): string {
  if (value === null) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${size.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function verdictLabel(verdict: BudgetVerdict): string {
  return match(verdict)
    .with('ok', () => 'within budget')
    .with('near', () => 'near budget')
    .with('over', () => 'over budget')
    .with('none', () => 'no budget')
    .with('idle', () => 'no calls yet')
    .exhaustive();
}

/** An inline SVG polyline of the p95 per interval; gaps where an interval had no call. */
function sparkline(points: readonly (number | null)[], verdict: BudgetVerdict): string {
  const width = 120;
  const height = 24;
  const values = points.filter((p): p is number => p !== null);
  if (values.length === 0) return '<span class="muted">–</span>';
  const top = Math.max(...values) || 1;
  const step = points.length > 1 ? width / (points.length - 1) : 0;
  const segments: string[][] = [[]];
  points.forEach((point, k) => {
    if (point === null) {
      segments.push([]);
      return;
    }
    const x = points.length === 1 ? width / 2 : k * step;
    const y = height - 2 - (point / top) * (height - 4);
    segments[segments.length - 1]?.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  });
  const lines = segments
    .filter((segment) => segment.length > 0)
    .map((segment) =>
      segment.length === 1
        ? `<circle cx="${segment[0]?.split(',')[0]}" cy="${segment[0]?.split(',')[1]}" r="1.5"/>`
        : `<polyline points="${segment.join(' ')}"/>`,
    )
    .join('');
  const title = `p95 per interval, max ${ms(top)} ms`;
  return `<svg class="spark v-${verdict}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${e(title)}"><title>${e(title)}</title>${lines}</svg>`;
}

function queryRow(row: QueryRow): string {
  const perRequest =
    row.perRequest === null ? '–' : `${row.perRequest.average.toFixed(1)} <span class="muted">max ${row.perRequest.max}</span>`;
  const audit =
    row.audit === null
      ? '<span class="muted">–</span>'
      : row.audit.verdict === 'ok'
        ? `<span class="tag v-ok">ok</span> <span class="muted">${ms(row.audit.p95Ms)} ms</span>`
        : `<span class="tag v-over">${e(row.audit.kinds.join(', ') || 'violation')}</span>`;
  return `<tr data-query="${e(row.name)}" class="${row.named ? '' : 'adhoc'}">
<td class="name">${e(row.name)}${row.kind === null ? ' <span class="muted">ad hoc</span>' : ` <span class="muted">:${e(row.kind)}</span>`}</td>
<td class="num">${count(row.calls)}</td>
<td class="num">${row.errors === 0 ? '0' : `<span class="v-over">${count(row.errors)}</span>`}</td>
<td class="num">${ms(row.p50Ms)}</td>
<td class="num v-${row.verdict}"><b>${ms(row.p95Ms)}</b></td>
<td class="num">${row.budgetMs === null ? '–' : `${row.budgetMs}`}</td>
<td><span class="tag v-${row.verdict}">${verdictLabel(row.verdict)}</span></td>
<td>${sparkline(row.sparkline, row.verdict)}</td>
<td class="num">${percent(row.cacheHitRate)}${row.cacheHitRate === null ? '' : ` <span class="muted">${count(row.cacheHits)}/${count(row.cacheHits + row.cacheMisses)}</span>`}</td>
<td class="num">${perRequest}</td>
<td>${audit}</td>
<td>${isolationCell(row.isolation)}</td>
</tr>`;
}

function table(headers: string[], rows: string[], empty: string): string {
  if (rows.length === 0) return `<p class="muted">${e(empty)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function catalogSections(catalog: CatalogSnapshot): string {
  const top =
    catalog.topStatements === null
      ? '<p class="muted">pg_stat_statements is not installed in this database: <code>CREATE EXTENSION pg_stat_statements;</code> (it needs <code>shared_preload_libraries</code>, see docs/operations.md).</p>'
      : table(
          ['statement (normalized)', 'calls', 'total ms', 'mean ms', 'rows/call', 'share'],
          catalog.topStatements.map(
            (s) =>
              `<tr><td><code class="sql">${e(s.text.replace(/\s+/g, ' '))}</code></td><td class="num">${count(s.calls)}</td><td class="num">${ms(s.totalMs)}</td>` +
              `<td class="num">${ms(s.meanMs)}</td><td class="num">${s.rowsPerCall.toFixed(1)}</td><td class="num">${percent(s.share)}</td></tr>`,
          ),
          'No statements recorded yet.',
        );
  const unused = table(
    ['index', 'table', 'size'],
    catalog.unusedIndexes.map((u) => `<tr><td>${e(u.index)}</td><td>${e(u.table)}</td><td class="num">${bytes(u.bytes)}</td></tr>`),
    'Every non-unique index has been scanned since the statistics were reset.',
  );
  const seq = table(
    ['table', 'seq scans', 'rows read by seq scans', 'index scans', 'live rows'],
    catalog.seqScannedTables.map(
      (t) =>
        `<tr><td>${e(t.table)}</td><td class="num">${count(t.seqScans)}</td><td class="num">${count(t.seqRowsRead)}</td><td class="num">${count(t.indexScans)}</td><td class="num">${count(t.liveRows)}</td></tr>`,
    ),
    'No table has been read by a sequential scan.',
  );
  const connections = table(
    ['state', 'connections', 'longest in state (s)'],
    catalog.connections.map(
      (c) =>
        `<tr><td>${e(c.state)}</td><td class="num">${c.count}</td><td class="num">${c.oldestSeconds === null ? '–' : c.oldestSeconds.toFixed(1)}</td></tr>`,
    ),
    'No client connection.',
  );
  const replicas =
    catalog.replicas.length === 0
      ? ''
      : `<section id="replicas"><h2>Replica lag</h2>${table(
          ['replica', 'state', 'replay lag (s)', 'behind'],
          catalog.replicas.map(
            (r) =>
              `<tr><td>${e(r.name)}</td><td>${e(r.state)}</td><td class="num">${r.replayLagSeconds === null ? '0' : r.replayLagSeconds.toFixed(2)}</td><td class="num">${bytes(r.lagBytes)}</td></tr>`,
          ),
          '',
        )}</section>`;
  return `<section id="top-statements"><h2>Top statements <span class="muted">pg_stat_statements, by total time, any client</span></h2>${top}</section>
<div class="cols">
<section id="unused-indexes"><h2>Unused indexes <span class="muted">never scanned</span></h2>${unused}</section>
<section id="seq-scans"><h2>Tables read by sequential scans</h2>${seq}</section>
</div>
<div class="cols">
<section id="connections"><h2>Connections by state <span class="muted">this database</span></h2>${connections}</section>
${replicas}
</div>`;
}

/** The refreshable part of the page. */
export function renderMain(data: PageData): string {
  const { pool, slow } = data;
  const slowRows = slow.entries.map(
    (s) =>
      `<tr class="slow-entry" data-level="${s.level}"><td>${e(s.at.replace('T', ' ').slice(0, 19))}</td><td><span class="tag ${s.level === 'error' ? 'v-over' : 'v-near'}">${s.level === 'error' ? 'alert' : 'slow'}</span></td>` +
      `<td class="name">${e(s.queryName)}</td><td class="num">${ms(s.durationMs)}</td><td class="num">${ms(s.poolWaitMs)}</td><td class="num">${s.rows}</td>` +
      `<td>${e(s.scope ?? '')}${s.errorCode === undefined ? '' : ` <span class="v-over">${e(s.errorCode)}</span>`}</td><td class="muted site">${e(s.callSite ?? '')}</td></tr>`,
  );
  const procedures = table(
    ['procedure', 'requests', 'statements per request', 'max'],
    data.procedures.map(
      (p) =>
        `<tr><td class="name">${e(p.path)}</td><td class="num">${count(p.requests)}</td><td class="num">${p.average.toFixed(2)}</td><td class="num">${p.max}</td></tr>`,
    ),
    'No request yet.',
  );
  const audit =
    data.audit === null
      ? 'No plan audit report (run <code>npm run audit</code>).'
      : `Plan audit of ${e(data.audit.generatedAt.slice(0, 16).replace('T', ' '))}: ${data.audit.violations === 0 ? '<span class="v-ok">no violations</span>' : `<span class="v-over">${data.audit.violations} violation(s)</span>`}.`;
  const interval = data.sparklineIntervalMs >= 1000 ? `${Math.round(data.sparklineIntervalMs / 1000)} s` : `${data.sparklineIntervalMs} ms`;
  return `<section id="queries"><h2>Named queries <span class="muted">runtime histograms since start; p50/p95 in ms, interpolated in the bucket like histogram_quantile</span></h2>
${table(
  [
    'query',
    'calls',
    'errors',
    'p50',
    'p95',
    'budget',
    'verdict',
    `p95 per ${interval}`,
    'cache hits',
    'statements / request',
    'plan audit',
    'owner',
  ],
  data.queries.map(queryRow),
  'No query yet.',
)}
<p class="muted">${audit}</p></section>
<div class="cols">
<section id="pool"><h2>Pool</h2>
<div class="figures">
<div><b id="pool-in-use">${pool.inUse}</b><span>in use</span></div>
<div><b id="pool-idle">${pool.idle}</b><span>idle</span></div>
<div><b id="pool-waiting" class="${pool.waiting > 0 ? 'v-over' : ''}">${pool.waiting}</b><span>waiting</span></div>
<div><b id="pool-max">${pool.max}</b><span>max</span></div>
<div><b id="pool-peak-in-use">${pool.peakInUse}</b><span>peak in use</span></div>
<div><b id="pool-peak-waiting" class="${pool.peakWaiting > 0 ? 'v-near' : ''}">${pool.peakWaiting}</b><span>peak waiting</span></div>
</div><p class="muted">Peaks since ${e(pool.since.replace('T', ' ').slice(0, 19))} UTC.</p></section>
<section id="procedures"><h2>Statements per request <span class="muted">N+1 scope</span></h2>${procedures}</section>
</div>
<section id="slow"><h2>Slow calls <span class="muted">slow at ${slow.warnMs} ms, alert at ${slow.errorMs} ms; latest first, without parameter values</span></h2>
${table(['at (UTC)', 'level', 'query', 'ms', 'pool wait', 'rows', 'scope', 'call site'], slowRows, 'No slow call since start.')}</section>
${data.database.ok ? catalogSections(data.database.catalog) : `<section id="database-error"><h2>Database</h2><p class="v-over">The statistics could not be read: ${e(data.database.error)}</p></section>`}`;
}

const STYLE = `
:root{font:13px/1.4 system-ui,sans-serif;color:#1d2330;background:#f6f7f9}
body{margin:0}header{display:flex;gap:1rem;align-items:baseline;padding:.6rem 1.2rem;background:#1d2330;color:#fff}
header h1{font-size:1.05rem;margin:0}header .muted{color:#aab}main{padding:.4rem 1.2rem 2rem}
h2{font-size:.95rem;margin:1.1rem 0 .4rem}table{border-collapse:collapse;background:#fff;width:100%}
th,td{padding:.25rem .5rem;border-bottom:1px solid #e4e6eb;text-align:left;vertical-align:middle}
th{font-weight:600;background:#eef0f3;white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.name{font-family:ui-monospace,monospace}.muted{color:#778;font-weight:normal}.site{font-size:.8em;max-width:22rem;overflow-wrap:anywhere}
tr.adhoc td{background:#fafafa}code.sql{font-size:.8em;overflow-wrap:anywhere}
.tag{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-size:.8em;background:#e4e6eb}
.v-ok{color:#116b2d}.tag.v-ok{background:#d9f2e0}.v-near{color:#8a5a00}.tag.v-near{background:#fbeccb}
.v-over{color:#b0141e}.tag.v-over{background:#f9d6d8}.v-none,.v-idle{color:#556}
svg.spark polyline{fill:none;stroke:currentColor;stroke-width:1.5}svg.spark circle{fill:currentColor}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(26rem,1fr));gap:0 1.5rem}
.figures{display:flex;gap:1.4rem;background:#fff;padding:.6rem .8rem}.figures div{display:flex;flex-direction:column}
.figures b{font-size:1.5rem;font-variant-numeric:tabular-nums}.figures span{color:#778;font-size:.85em}
#status.failed{color:#ffb3b8}`;

/** The whole page; `refreshPath` is what its script fetches; `nonce` is the script's, for the CSP. */
export function renderPage(data: PageData, refreshPath: string, nonce: string): string {
  const server = data.database.ok
    ? `PostgreSQL ${data.database.catalog.serverVersion}${data.database.catalog.inRecovery ? ' (replica)' : ''}`
    : 'database unreadable';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>sqlbound · database</title><style>${STYLE}</style></head>
<body data-refresh-ms="${data.refreshMs}" data-refreshes="0">
<header><h1>sqlbound · database</h1><span class="muted">${e(server)}</span>
<span class="muted">updated <span id="updated">${e(data.generatedAt.slice(11, 19))}</span> UTC, every ${Math.round(data.refreshMs / 1000)} s</span><span id="status"></span></header>
<main>${renderMain(data)}</main>
<script nonce="${e(nonce)}">
(() => {
  // Refresh without a reload: fetch the rendered <main> and swap it in. The browser resends the credentials it
  // used for the page (Basic, or a header a proxy adds) on this same-origin request.
  const body = document.body, main = document.querySelector('main'), status = document.getElementById('status');
  const every = Number(body.dataset.refreshMs) || 5000;
  let busy = false;
  setInterval(async () => {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const response = await fetch(${JSON.stringify(refreshPath)}, { cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      main.innerHTML = await response.text();
      body.dataset.refreshes = String(Number(body.dataset.refreshes) + 1);
      document.getElementById('updated').textContent = new Date().toISOString().slice(11, 19);
      status.textContent = ''; status.className = '';
    } catch (error) {
      status.textContent = 'refresh failed: ' + error.message; status.className = 'failed';
    } finally { busy = false; }
  }, every);
})();
</script>
</body></html>`;
}

/** Owner isolation: the param a query is confined to, or `any` with the reason it crosses owners. */
function isolationCell(isolation: QueryRow['isolation']): string {
  if (isolation === null) return '<span class="muted">–</span>';
  return match(isolation)
    .with({ kind: 'owner' }, ({ params }) => `<span class="tag v-ok">${e(params.map((param) => `:${param}`).join(' '))}</span>`)
    .with(
      { kind: 'any' },
      ({ reason }) => `<span class="tag v-near" title="${e(reason)}">any</span> <span class="muted">${e(reason)}</span>`,
    )
    .with({ kind: 'none' }, () => '<span class="muted">no owned table</span>')
    .exhaustive();
}
