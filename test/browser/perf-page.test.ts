// The performance page in a real browser: headless Chromium answers the page's Basic challenge with the admin token,
// shows every named query, the slow call and the pool, then refreshes itself without a reload (a slow call made
// after the page loaded appears while a marker set at load survives). Saves a screenshot for docs/operations.md.
import assert from 'node:assert/strict';
import { access, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { loadManifest } from '@sqlbound/cli/codegen';
import { manifestPath, projectRoot } from '../../src/server/paths.js';
import { exerciseEveryQuery, PAGE_TOKEN, startPageApi } from '../support/perf-page.js';
import { findChromium, launch, type Page } from './chromium.js';

/** Committed and shown in docs/operations.md; rewritten when missing or with UPDATE_SCREENSHOTS=1. */
const DOCS_SCREENSHOT = join(projectRoot, 'docs', 'perf-page.png');

const chromium = findChromium();
if (chromium === null) process.stdout.write('SKIPPED: chromium not installed (apt-get install chromium)\n');

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Settles with `promise`, or rejects after `ms`: a DevTools reply that never comes must fail the test, not hang it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/**
 * Navigates and waits until the document is complete, by polling rather than by a load event: on a loaded machine
 * the one event could be missed (a navigation answered after it), and a missed event left the test waiting on
 * nothing. One more attempt covers a navigation Chromium dropped.
 */
async function openPage(page: Page, url: string): Promise<void> {
  const path = new URL(url).pathname;
  for (let attempt = 1; ; attempt++) {
    try {
      await within(page.send('Page.navigate', { url }), 20_000, 'Page.navigate');
      await until(
        'the page to load',
        () => within(page.evaluate<string>(`document.readyState + ' ' + location.pathname`), 10_000, 'Runtime.evaluate'),
        (state) => state === `complete ${path}`,
      );
      return;
    } catch (error) {
      if (attempt >= 2) throw error;
    }
  }
}

/** Lets every request through, and answers the page's HTTP authentication challenge as a user would. */
async function answerChallenges(page: Page, user: string, password: string): Promise<void> {
  page.on(
    'Fetch.requestPaused',
    (params) => void page.send('Fetch.continueRequest', { requestId: params.requestId }).catch(() => undefined),
  );
  page.on(
    'Fetch.authRequired',
    (params) =>
      void page
        .send('Fetch.continueWithAuth', {
          requestId: params.requestId,
          authChallengeResponse: { response: 'ProvideCredentials', username: user, password },
        })
        .catch(() => undefined),
  );
  await page.send('Fetch.enable', { patterns: [{ urlPattern: '*' }], handleAuthRequests: true });
}

test(
  'the page in headless Chromium: every named query, the slow call, the pool, and a refresh without reload',
  { skip: chromium === null, timeout: 180_000 },
  async () => {
    if (chromium === null) return;
    const api = await startPageApi({ refreshMs: 1000, historyIntervalMs: 2000 });
    // Several rounds, so each p95 reflects warm calls rather than the first, cold one.
    for (let round = 0; round < 4; round++) await exerciseEveryQuery(api);
    // The test-only slow query: pg_sleep through the runtime's own db handle, which no route exposes.
    await api.db.execute({ name: 'testSlowSleep', text: 'SELECT pg_sleep(0.55)' }, []);
    await exerciseEveryQuery(api);

    const browser = await launch(chromium, { width: 1400, height: 1000 });
    after(() => browser.close());
    const { page } = browser;
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    await answerChallenges(page, 'admin', PAGE_TOKEN);
    await openPage(page, `${api.base}/_db`);

    const shown = await page.evaluate<{ queries: string[]; slow: string[]; poolMax: string | null; peak: string | null; title: string }>(`({
    queries: [...document.querySelectorAll('tr[data-query]')].map((row) => row.dataset.query),
    slow: [...document.querySelectorAll('tr.slow-entry')].map((row) => row.textContent),
    poolMax: document.getElementById('pool-max')?.textContent ?? null,
    peak: document.getElementById('pool-peak-in-use')?.textContent ?? null,
    title: document.title,
  })`);
    assert.equal(shown.title, 'sqlbound · database');
    const manifest = await loadManifest(manifestPath);
    for (const query of manifest.queries)
      assert.ok(shown.queries.includes(query.name), `${query.name} is on the page: ${shown.queries.join(', ')}`);
    assert.ok(
      shown.slow.some((text) => text.includes('testSlowSleep') && text.includes('slow')),
      JSON.stringify(shown.slow),
    );
    assert.equal(shown.poolMax, '4');
    assert.match(shown.peak ?? '', /^[1-4]$/);

    // A marker that a reload would wipe; a slow call made now must appear through the page's own refresh.
    await page.evaluate('window.loadedOnce = true');
    await api.db.execute({ name: 'testSlowAfterLoad', text: 'SELECT pg_sleep(0.52)' }, []);
    const refreshed = await until(
      'the refresh to show the new slow call',
      () =>
        page.evaluate<{ refreshes: number; marker: boolean; text: string }>(`({
      refreshes: Number(document.body.dataset.refreshes),
      marker: window.loadedOnce === true,
      text: document.getElementById('slow')?.textContent ?? '',
    })`),
      (state) => state.text.includes('testSlowAfterLoad'),
    );
    assert.ok(refreshed.refreshes >= 1);
    assert.equal(refreshed.marker, true, 'the page was refreshed in place, not reloaded');

    // The sparklines fill in as history intervals pass; the screenshot is taken once the named queries have points.
    for (let round = 0; round < 3; round++) {
      await exerciseEveryQuery(api);
      await new Promise((resolve) => setTimeout(resolve, 2100));
    }
    await until(
      'sparklines of the named queries',
      () =>
        page.evaluate<number>(
          `document.querySelectorAll('tr[data-query="getProfile"] svg.spark polyline, tr[data-query="getProfile"] svg.spark circle').length`,
        ),
      (n) => n >= 1,
    );
    const height = await page.evaluate<number>('Math.ceil(document.documentElement.scrollHeight)');
    await page.send('Emulation.setDeviceMetricsOverride', {
      width: 1400,
      height: Math.min(Math.max(height, 800), 3000),
      deviceScaleFactor: 1,
      mobile: false,
    });
    const shot = await page.send<{ data: string }>('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true });
    const png = Buffer.from(shot.data, 'base64');
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    const exists = await access(DOCS_SCREENSHOT).then(
      () => true,
      () => false,
    );
    const target = !exists || process.env.UPDATE_SCREENSHOTS === '1' ? DOCS_SCREENSHOT : join(tmpdir(), 'sqlbound-perf-page.png');
    await writeFile(target, png);
    process.stdout.write(
      `# screenshot: ${target.startsWith(projectRoot) ? relative(projectRoot, target) : target} (${png.length} bytes)\n`,
    );
  },
);
