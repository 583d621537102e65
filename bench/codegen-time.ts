// Codegen wall time (issue 24), measured as whole processes through `npm run --silent codegen -- <args>` only, so the
// same script times any version of the generator whose npm script keeps the flags (--config, --check, --watch):
//   (a) `--check` on this repo's queries (after one plain codegen, so the check passes);
//   (b) codegen of a generated project of 200 queries with includes (bench/codegen-project.ts), writing its output;
//   (c) `--watch` on that project: one query file saved SAVES times, timed from the save to the
//       `[watch] regenerated in N ms` line, beside the N codegen prints itself. Two watch processes: one whose saves
//       are a temporary file renamed over the query file (as vim and JetBrains IDEs save), one whose saves rewrite
//       the file in place (as VS Code does). A save that gets no regeneration line within --save-timeout is
//       reported as missed, and its series stops there.
// Then, unless --no-count, one more run of each with a preload that counts the protocol messages codegen sends to
// PostgreSQL (Describe, EXPLAIN, Sync): read at the socket, so it needs no internal module either.
//   npm run bench:codegen -- [--runs 5] [--saves 10] [--save-timeout 15] [--project <folder>] [--no-count] [--json <file>]
// Every child is started in a process group of its own and stopped through that group (SIGINT, as Ctrl-C in a
// terminal, then SIGKILL after 20 s), with TMPDIR inside the bench's temporary folder, which is removed at the end,
// on Ctrl-C too.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { writeCodegenProject } from './codegen-project.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    saves: { type: 'string', default: '10' },
    /** Write the project here (kept) instead of a temporary folder (removed). */
    project: { type: 'string' },
    /** The file of the project the watch saves, in sql/queries. */
    'save-file': { type: 'string', default: 'tasks.sql' },
    /** Seconds to wait for the regeneration line after a save before counting the save as missed. */
    'save-timeout': { type: 'string', default: '15' },
    'no-count': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return value;
}
const RUNS = positiveInteger('runs', args.runs);
const SAVES = positiveInteger('saves', args.saves);
const SAVE_TIMEOUT_MS = positiveInteger('save-timeout', args['save-timeout']) * 1000;
/** How long one codegen process may take before the bench gives up on it. */
const PROCESS_TIMEOUT_MS = 180_000;
/** Quiet time after a regeneration before the next save, so two saves never fall into one debounce window. */
const SETTLE_MS = 500;

const progress = (line: string) => process.stderr.write(`[bench:codegen] ${line}\n`);

// ---- children and cleanup -------------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
const temporary = new Set<string>();

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
}

/** Whether any process of the group is still there (zombies included). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
  return true;
}

/** The processes below `pid` (Linux /proc; none elsewhere). */
async function descendants(pid: number): Promise<number[]> {
  const byParent = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      byParent.set(parent, [...(byParent.get(parent) ?? []), Number(entry)]);
    } catch {
      // It exited while we read.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of byParent.get(next) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * Stops a child and everything it started (npm, sh, tsx, node), through its own process group only: SIGINT as
 * Ctrl-C would send it (the CLI then stops its embedded server and removes its data folder), SIGKILL 20 s later if
 * the group is still there. The embedded postgres runs in a group of its own, so the SIGKILL also goes, by PID, to
 * the processes found below the child just before it. A child that exited by itself is given 5 s for its group to go.
 */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (pgid !== undefined) {
    const exited = child.exitCode !== null || child.signalCode !== null;
    if (!(exited && (await groupGone(pgid, 5_000)))) {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGINT');
      if (!(await groupGone(pgid, 20_000))) {
        progress(`process group ${pgid} did not stop on SIGINT: SIGKILL`);
        const below = await descendants(pgid);
        if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
        for (const pid of below) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone already.
          }
        }
        await groupGone(pgid, 5_000);
      }
    }
  }
  await exitOf(child);
  children.delete(child);
}

async function cleanup(): Promise<void> {
  await Promise.all([...children].map(stopGroup));
  await Promise.all([...temporary].map((dir) => rm(dir, { recursive: true, force: true })));
  temporary.clear();
}

/** Set on SIGINT or SIGTERM: the cleanup under way, then the exit. What main throws meanwhile is its consequence. */
let stopping: Promise<never> | null = null;
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.on(name, () => {
    if (stopping !== null) return;
    progress(`${name}: stopping the children and removing the temporary folders`);
    stopping = cleanup().then(
      () => process.exit(name === 'SIGINT' ? 130 : 143),
      () => process.exit(1),
    );
  });
}

type Started = { child: ChildProcess; output: () => string; stdout: () => string; exited: Promise<number | null> };

/**
 * The children's TMPDIR, inside the bench's temporary folder: the embedded server's data folder goes there, so even
 * one a child could not remove (stopped while its server was starting) goes with the bench's folder.
 */
let childTemporary: string | null = null;

/** `npm run --silent codegen -- <args>` from the repo root, in a new process group. */
function startCodegen(codegenArgs: string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn('npm', ['run', '--silent', 'codegen', '--', ...codegenArgs], {
    cwd: repo,
    env: childTemporary === null ? env : { ...env, TMPDIR: childTemporary },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let all = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    all += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (all += chunk));
  const exited = exitOf(child);
  return { child, output: () => all, stdout: () => stdout, exited };
}

type Timed = { wallMs: number; reportedS: number | null; line: string };

/** One codegen process from spawn to exit; it must exit 0. */
async function timedRun(codegenArgs: string[], env?: NodeJS.ProcessEnv): Promise<Timed> {
  const started = performance.now();
  const run = startCodegen(codegenArgs, env);
  const timer = setTimeout(() => void stopGroup(run.child), PROCESS_TIMEOUT_MS);
  const code = await run.exited;
  const wallMs = performance.now() - started;
  clearTimeout(timer);
  await stopGroup(run.child);
  if (code !== 0) throw new Error(`npm run codegen -- ${codegenArgs.join(' ')} exited with ${code}:\n${run.output()}`);
  const line = run.stdout().trim().split('\n').at(-1) ?? '';
  const reported = /in ([\d.]+)s\)?$/.exec(line);
  return { wallMs, reportedS: reported?.[1] === undefined ? null : Number(reported[1]), line };
}

// ---- statistics -----------------------------------------------------------------------------------------------

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
type Summary = { n: number; min: number; median: number; p50: number; max: number };
function summary(values: readonly number[]): Summary {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length / 2;
  const median =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(middle)] ?? Number.NaN)
      : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
  return { n: sorted.length, min: sorted[0] ?? Number.NaN, median, p50: quantile(sorted, 0.5), max: sorted.at(-1) ?? Number.NaN };
}
const seconds = (ms: number) => (ms / 1000).toFixed(2);

// ---- protocol message counts ----------------------------------------------------------------------------------

// A preload for every node process of a run (NODE_OPTIONS): it reads the frontend messages each PostgreSQL socket writes
// (a type byte, then an int32 length that counts itself; a startup or SSL request has no type byte and starts with
// a zero byte) and appends a snapshot of its counts to a file at each write to stdout and at exit, so a watch
// process yields one snapshot per regeneration line. Plain JS written at run time: it is loaded before tsx.
const COUNTER = `import net from 'node:net';
import { appendFileSync } from 'node:fs';
const file = process.env.SQLBOUND_BENCH_COUNT_FILE;
const counts = { parse: 0, describeStatement: 0, describePortal: 0, execute: 0, sync: 0, simpleQuery: 0, explain: 0 };
// A statement of its own: a Parse's text starts with it; a simple Query may carry it after SET LOCALs (; EXPLAIN).
const isExplain = (text) => /(^|;)\\s*EXPLAIN\\b/i.test(text);
const write = net.Socket.prototype.write;
// A socket is PostgreSQL's when its first write is a startup message: length, then protocol 3.0 or an SSL or
// GSS encryption request. Other sockets (pipes to esbuild, stdout) are left alone.
const CODES = new Set([196608, 80877103, 80877104]);
const isPostgres = new WeakMap();
net.Socket.prototype.write = function (chunk, ...rest) {
  try {
    const buffer = typeof chunk === 'string' ? null : Buffer.from(chunk.buffer ?? chunk, chunk.byteOffset ?? 0, chunk.byteLength ?? chunk.length);
    if (buffer !== null && !isPostgres.has(this)) isPostgres.set(this, buffer.length >= 8 && CODES.has(buffer.readInt32BE(4)));
    let at = 0;
    while (buffer !== null && isPostgres.get(this) && at + 5 <= buffer.length) {
      if (buffer[at] === 0) {
        const length = buffer.readInt32BE(at);
        if (length < 8) break;
        at += length;
        continue;
      }
      const type = String.fromCharCode(buffer[at]);
      const length = buffer.readInt32BE(at + 1);
      if (length < 4) break;
      const body = buffer.subarray(at + 5, Math.min(buffer.length, at + 1 + length));
      if (type === 'P') {
        counts.parse++;
        const nameEnd = body.indexOf(0);
        if (isExplain(body.subarray(nameEnd + 1, body.indexOf(0, nameEnd + 1)).toString('utf8'))) counts.explain++;
      } else if (type === 'Q') {
        counts.simpleQuery++;
        if (isExplain(body.toString('utf8'))) counts.explain++;
      } else if (type === 'D') {
        if (body[0] === 0x53) counts.describeStatement++;
        else counts.describePortal++;
      } else if (type === 'E') counts.execute++;
      else if (type === 'S') counts.sync++;
      at += 1 + length;
    }
  } catch {}
  return write.call(this, chunk, ...rest);
};
const snapshot = (line) => {
  if (file === undefined || counts.parse + counts.simpleQuery === 0) return;
  appendFileSync(file, JSON.stringify({ pid: process.pid, line, ...counts }) + '\\n');
};
const stdoutWrite = process.stdout.write;
process.stdout.write = function (chunk, ...rest) {
  snapshot(String(chunk).trim());
  return stdoutWrite.call(this, chunk, ...rest);
};
process.on('exit', () => snapshot('(exit)'));
`;

type Counts = {
  parse: number;
  describeStatement: number;
  describePortal: number;
  execute: number;
  sync: number;
  simpleQuery: number;
  explain: number;
};
type Snapshot = Counts & { pid: number; line: string };
const COUNT_KEYS = ['parse', 'describeStatement', 'describePortal', 'execute', 'sync', 'simpleQuery', 'explain'] as const;

function isSnapshot(value: unknown): value is Snapshot {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.pid === 'number' && typeof record.line === 'string' && COUNT_KEYS.every((key) => typeof record[key] === 'number');
}
async function readSnapshots(file: string): Promise<Snapshot[]> {
  if (!existsSync(file)) return [];
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
  return lines.map((line): unknown => JSON.parse(line)).filter(isSnapshot);
}
function minus(later: Counts, earlier: Counts | null): Counts {
  return Object.fromEntries(COUNT_KEYS.map((key) => [key, later[key] - (earlier?.[key] ?? 0)])) as Counts;
}

// ---- the measurements -----------------------------------------------------------------------------------------

type SaveMode = 'rename' | 'in place';
type Save = { toLineMs: number; reportedMs: number; written: string };
type WatchResult = {
  mode: SaveMode;
  firstGenerationMs: number;
  firstLine: string;
  saves: Save[];
  /** The save (1-based) that got no regeneration line within the timeout, or null when every save got one. */
  missedAt: number | null;
};

/**
 * A watch process on the project: its first generation, then `saves` saves of one query file, each changing the
 * "-- bench edit N" line (kept in the generated SQL, so every save changes output and writes files).
 */
async function watchRun(project: string, saveFile: string, saves: number, mode: SaveMode, env?: NodeJS.ProcessEnv): Promise<WatchResult> {
  const started = performance.now();
  const run = startCodegen(['--watch', '--config', project], env);
  const waitFor = async (pattern: RegExp, from: number, ms: number): Promise<{ match: RegExpExecArray; at: number } | null> => {
    const deadline = performance.now() + ms;
    while (performance.now() < deadline) {
      const found = pattern.exec(run.stdout().slice(from));
      if (found !== null) return { match: found, at: performance.now() };
      if (run.child.exitCode !== null || run.child.signalCode !== null) throw new Error(`the watch process exited:\n${run.output()}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 2));
    }
    return null;
  };
  try {
    const first = await waitFor(/^wrote .*$/m, 0, PROCESS_TIMEOUT_MS);
    if (first === null || (await waitFor(/\[watch\] watching/, 0, PROCESS_TIMEOUT_MS)) === null) {
      throw new Error(`the watch did not start:\n${run.output()}`);
    }
    const result: WatchResult = { mode, firstGenerationMs: first.at - started, firstLine: first.match[0], saves: [], missedAt: null };
    const path = join(project, 'sql', 'queries', saveFile);
    for (let save = 1; save <= saves; save++) {
      await new Promise((resolveWait) => setTimeout(resolveWait, SETTLE_MS));
      const text = await readFile(path, 'utf8');
      const edited = text.replace(/-- bench edit \d+/, `-- bench edit ${Date.now()}`);
      if (edited === text) throw new Error(`${path} has no "-- bench edit N" line to change`);
      const temporaryFile = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
      if (mode === 'rename') await writeFile(temporaryFile, edited);
      const mark = run.stdout().length;
      const saved = performance.now();
      if (mode === 'rename') await rename(temporaryFile, path);
      else await writeFile(path, edited);
      const line = await waitFor(/\[watch\] (?:regenerated in (\d+) ms: (.*)|(.*))$/m, mark, SAVE_TIMEOUT_MS);
      if (line === null) {
        result.missedAt = save;
        progress(`  save ${save}/${saves} (${mode}): no regeneration line within ${SAVE_TIMEOUT_MS / 1000} s; this series stops`);
        break;
      }
      if (line.match[1] === undefined) throw new Error(`save ${save}: ${line.match[0]}\n${run.output()}`);
      const entry = { toLineMs: line.at - saved, reportedMs: Number(line.match[1]), written: line.match[2] ?? '' };
      result.saves.push(entry);
      progress(
        `  save ${save}/${saves} (${mode}): ${entry.toLineMs.toFixed(0)} ms to the line, codegen says ${entry.reportedMs} ms (${entry.written})`,
      );
    }
    return result;
  } finally {
    await stopGroup(run.child);
  }
}

/** Puts a "-- bench edit 0" line in the body of the file's first query (kept in its SQL, so a save changes output). */
async function markSaveFile(project: string, saveFile: string): Promise<void> {
  const path = join(project, 'sql', 'queries', saveFile);
  const text = await readFile(path, 'utf8');
  if (/-- bench edit \d+/.test(text)) return;
  const marked = text.replace(/^(FROM .*)$/m, '$1\n-- bench edit 0');
  if (marked === text) throw new Error(`${path}: no FROM line to mark`);
  await writeFile(path, marked);
}

function machine(): { cores: number; cpu: string; node: string; load: string; commit: string; dirty: boolean } {
  const git = (...gitArgs: string[]) => execFileSync('git', gitArgs, { cwd: repo, encoding: 'utf8' }).trim();
  let commit = 'unknown';
  let dirty = false;
  try {
    commit = git('rev-parse', '--short', 'HEAD');
    dirty = git('status', '--porcelain', '--untracked-files=no').length > 0;
  } catch {
    // Not a git checkout.
  }
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    load: loadavg()
      .map((value) => value.toFixed(2))
      .join(' '),
    commit,
    dirty,
  };
}

async function countRun(label: string, hook: string, work: (env: NodeJS.ProcessEnv) => Promise<unknown>): Promise<Snapshot[]> {
  const file = join(dirname(hook), `${label}.jsonl`);
  const env = {
    ...process.env,
    SQLBOUND_BENCH_COUNT_FILE: file,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(hook).href}`.trim(),
  };
  await work(env);
  return readSnapshots(file);
}

/** Counts for each generation line of a run's codegen process (the one process whose sockets spoke to PostgreSQL). */
function perGeneration(snapshots: readonly Snapshot[], pattern: RegExp): { line: string; counts: Counts }[] {
  const pids = [...new Set(snapshots.map((s) => s.pid))];
  const rows: { line: string; counts: Counts }[] = [];
  for (const pid of pids) {
    let previous: Counts | null = null;
    for (const snap of snapshots.filter((s) => s.pid === pid)) {
      // The snapshot is taken as the line is written: it holds what the generation before the line sent.
      if (pattern.test(snap.line)) {
        rows.push({ line: snap.line, counts: minus(snap, previous) });
        previous = snap;
      }
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const info = machine();
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16);
  progress(
    `${date} UTC, ${info.cores} cores (${info.cpu}), ${info.node}, load ${info.load}, commit ${info.commit}${info.dirty ? ' (dirty)' : ''}`,
  );
  const work = await mkdtemp(join(tmpdir(), 'sqlbound-bench-codegen-'));
  temporary.add(work);
  // The embedded server runs as its own user where the bench runs as root: it must reach its folder, as in /tmp.
  await chmod(work, 0o755);
  childTemporary = join(work, 'tmp');
  await mkdir(childTemporary);
  await chmod(childTemporary, 0o1777);
  const project = args.project === undefined ? join(work, 'project') : resolve(args.project);
  const written = await writeCodegenProject(project);
  await markSaveFile(project, args['save-file']);
  progress(
    `project ${project}: ${written.queries} queries in ${written.queryFiles.length} files, ${written.withIncludes} with includes (${written.includes} includes)`,
  );

  // (a) this repo: one plain codegen so generated/ matches today's queries, then --check RUNS times.
  progress('(a) this repo: npm run --silent codegen (once, so --check passes)');
  const plain = await timedRun([]);
  progress(`  ${plain.line} (${seconds(plain.wallMs)} s wall)`);
  const checks: Timed[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const timed = await timedRun(['--check']);
    checks.push(timed);
    progress(`  --check ${run}/${RUNS}: ${seconds(timed.wallMs)} s wall; ${timed.line}`);
  }

  // (b) the project: each run starts from no generated folder and writes all of it.
  progress(`(b) project: npm run --silent codegen -- --config ${project}`);
  const generations: Timed[] = [];
  for (let run = 1; run <= RUNS; run++) {
    await rm(join(project, 'generated'), { recursive: true, force: true });
    const timed = await timedRun(['--config', project]);
    generations.push(timed);
    progress(`  ${run}/${RUNS}: ${seconds(timed.wallMs)} s wall; ${timed.line}`);
  }

  // (c) watch: the first generation, then SAVES saves of one file; saved by rename, then (a new process) in place.
  const watched: WatchResult[] = [];
  for (const mode of ['rename', 'in place'] as const) {
    progress(
      `(c) watch: npm run --silent codegen -- --watch --config ${project}; ${SAVES} saves (${mode}) of sql/queries/${args['save-file']}`,
    );
    watched.push(await watchRun(project, args['save-file'], SAVES, mode));
  }

  // Optional: protocol messages per generation, one more run of each with the counting preload.
  let counted: { check: Counts | null; project: Counts | null; save: Counts | null } | null = null;
  if (!args['no-count']) {
    progress('counting protocol messages: one more run of (a), (b) and (c) (one save in place) with a preload on the sockets');
    const hook = join(work, 'count-protocol.mjs');
    await writeFile(hook, COUNTER);
    const check = perGeneration(await countRun('check', hook, (env) => timedRun(['--check'], env)), / is fresh /);
    await rm(join(project, 'generated'), { recursive: true, force: true });
    const full = perGeneration(await countRun('project', hook, (env) => timedRun(['--config', project], env)), /^wrote /);
    const watchRows = perGeneration(
      await countRun('watch', hook, (env) => watchRun(project, args['save-file'], 1, 'in place', env)),
      /^(?:wrote |\[watch\] regenerated)/,
    );
    counted = {
      check: check[0]?.counts ?? null,
      project: full[0]?.counts ?? null,
      save: watchRows.find((row) => row.line.startsWith('[watch] regenerated'))?.counts ?? null,
    };
  }

  const checkWall = summary(checks.map((t) => t.wallMs / 1000));
  const checkReported = summary(checks.flatMap((t) => (t.reportedS === null ? [] : [t.reportedS])));
  const projectWall = summary(generations.map((t) => t.wallMs / 1000));
  const projectReported = summary(generations.flatMap((t) => (t.reportedS === null ? [] : [t.reportedS])));
  const s2 = (value: number) => value.toFixed(2);
  const ms0 = (value: number) => (Number.isFinite(value) ? `${value.toFixed(0)} ms` : '—');

  const lines = [
    `date ${date} UTC, ${info.cores} cores (${info.cpu}), Node ${info.node}, load average ${info.load} at the start, commit ${info.commit}${info.dirty ? ' (dirty)' : ''}`,
    `project: ${written.queries} queries in ${written.queryFiles.length} files, ${written.withIncludes} with includes (${written.includes} includes)`,
    '',
    '| measurement | runs | wall min | wall median | wall max | codegen reports (median) |',
    '|---|---|---|---|---|---|',
    `| (a) \`codegen -- --check\`, this repo | ${checkWall.n} | ${s2(checkWall.min)} s | ${s2(checkWall.median)} s | ${s2(checkWall.max)} s | ${s2(checkReported.median)} s |`,
    `| (b) \`codegen -- --config <project>\`, 200 queries | ${projectWall.n} | ${s2(projectWall.min)} s | ${s2(projectWall.median)} s | ${s2(projectWall.max)} s | ${s2(projectReported.median)} s |`,
    ...watched.map(
      (w) =>
        `| (c) \`--watch\` (${w.mode} series): start to the first generation | 1 | | ${seconds(w.firstGenerationMs)} s | | ${/in ([\d.]+)s/.exec(w.firstLine)?.[1] ?? '?'} s |`,
    ),
    '',
    '| watch: one save of a query file | saves seen / made | save to the `[watch] regenerated` line, p50 / max | `regenerated in N ms` as codegen prints it, p50 / max | files written per save |',
    '|---|---|---|---|---|',
    ...watched.map((w) => {
      const toLine = summary(w.saves.map((save) => save.toLineMs));
      const reported = summary(w.saves.map((save) => save.reportedMs));
      const made = w.missedAt ?? w.saves.length;
      const missed = w.missedAt === null ? '' : ` (save ${w.missedAt} missed: no line in ${SAVE_TIMEOUT_MS / 1000} s; series stopped)`;
      return `| ${w.mode} | ${w.saves.length} / ${made}${missed} | ${ms0(toLine.p50)} / ${ms0(toLine.max)} | ${ms0(reported.p50)} / ${ms0(reported.max)} | ${[...new Set(w.saves.map((save) => save.written))].join('; ')} |`;
    }),
  ];
  if (counted !== null) {
    const row = (label: string, counts: Counts | null) =>
      counts === null
        ? `| ${label} | not found | | | | |`
        : `| ${label} | ${counts.describeStatement} | ${counts.explain} | ${counts.parse} | ${counts.sync + counts.simpleQuery} | ${counts.describePortal} |`;
    lines.push(
      '',
      '| protocol messages per generation | Describe (statement) | EXPLAIN | Parse | Sync + simple Query (round trips, at most) | Describe (portal) |',
      '|---|---|---|---|---|---|',
      row('(a) --check, this repo', counted.check),
      row('(b) the 200-query project', counted.project),
      row('(c) one save in --watch', counted.save),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (args.json !== undefined) {
    await writeFile(
      resolve(args.json),
      `${JSON.stringify(
        {
          date,
          machine: info,
          project: {
            queries: written.queries,
            files: written.queryFiles.length,
            withIncludes: written.withIncludes,
            includes: written.includes,
          },
          check: { wallS: checks.map((t) => t.wallMs / 1000), reportedS: checks.map((t) => t.reportedS) },
          generate: { wallS: generations.map((t) => t.wallMs / 1000), reportedS: generations.map((t) => t.reportedS) },
          watch: watched,
          counts: counted,
        },
        null,
        2,
      )}\n`,
    );
  }
  if (args.project !== undefined) progress(`project kept in ${project}`);
}

/** The cleanup a signal started, if any (a function: the signal handler assigns it behind the type checker's back). */
const stopRequested = (): Promise<never> | null => stopping;
try {
  await main();
} catch (error) {
  await stopRequested();
  throw error;
} finally {
  if (stopRequested() === null) await cleanup();
}
await stopRequested();
