// The load test's outside generator: wrk (Debian's package), a C closed-model load generator with its own event
// loop per thread, so the figures are not the Node generator's. Each request carries the next user's bearer token
// (a Lua script rotating through a token file), and a Lua done() prints the summary as one JSON line, so nothing
// depends on wrk's human-readable text. Targets only the URL it is given (the load test passes 127.0.0.1).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

export const WRK_SKIPPED_LINE = 'SKIPPED: wrk not installed (apt-get install wrk)';

/** wrk's path, or null when it is not installed. */
export function findWrk(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : null;
}

// setup() runs in wrk's main Lua state once per thread before that thread's init(): it hands each thread its own
// starting offset, so the threads do not send the same user at the same moment. request() is called for every
// request on every connection of the thread; response() is not defined, so wrk parses no bodies for Lua.
const SCRIPT = String.raw`
local thread_count = 0
function setup(thread)
  thread:set("offset", thread_count)
  thread_count = thread_count + 1
end

local tokens = {}
local path = "/"
local index = 0
function init(args)
  path = args[1]
  for line in io.lines(args[2]) do
    if line ~= "" then tokens[#tokens + 1] = "Bearer " .. line end
  end
  local threads = tonumber(args[3])
  index = math.floor((offset or 0) * #tokens / threads)
end

function request()
  index = index + 1
  if index > #tokens then index = 1 end
  return wrk.format("GET", path, { ["Authorization"] = tokens[index] })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_SUMMARY {"requests":%.0f,"durationUs":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"p50Us":%.0f,"p90Us":%.0f,"p95Us":%.0f,"p99Us":%.0f,"maxUs":%.0f,"meanUs":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
`;

const summarySchema = z.object({
  requests: z.number().int().nonnegative(),
  durationUs: z.number().positive(),
  bytes: z.number().nonnegative(),
  connect: z.number().int().nonnegative(),
  read: z.number().int().nonnegative(),
  write: z.number().int().nonnegative(),
  status: z.number().int().nonnegative(),
  timeout: z.number().int().nonnegative(),
  p50Us: z.number().nonnegative(),
  p90Us: z.number().nonnegative(),
  p95Us: z.number().nonnegative(),
  p99Us: z.number().nonnegative(),
  maxUs: z.number().nonnegative(),
  meanUs: z.number().nonnegative(),
});

/** What one wrk run measured: counts, latency percentiles (ms, wrk's own histogram) and its socket errors. */
export type WrkSummary = {
  requests: number;
  seconds: number;
  throughput: number;
  bytes: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Socket errors: connects that failed, reads and writes that failed, requests that timed out (--timeout). */
  socket: { connect: number; read: number; write: number; timeout: number };
  /** Responses with a status of 400 or above. */
  non2xx: number;
};

/** The WRK_SUMMARY line the Lua done() prints, or an error naming what wrk printed instead. */
export function parseWrkOutput(stdout: string): WrkSummary {
  const line = stdout.split('\n').find((text) => text.startsWith('WRK_SUMMARY '));
  if (line === undefined) throw new Error(`wrk printed no summary line:\n${stdout}`);
  const raw = summarySchema.parse(JSON.parse(line.slice('WRK_SUMMARY '.length)));
  const seconds = raw.durationUs / 1e6;
  return {
    requests: raw.requests,
    seconds,
    throughput: raw.requests / seconds,
    bytes: raw.bytes,
    p50Ms: raw.p50Us / 1000,
    p90Ms: raw.p90Us / 1000,
    p95Ms: raw.p95Us / 1000,
    p99Ms: raw.p99Us / 1000,
    maxMs: raw.maxUs / 1000,
    socket: { connect: raw.connect, read: raw.read, write: raw.write, timeout: raw.timeout },
    non2xx: raw.status,
  };
}

export type WrkRun = {
  wrk: string;
  /** Base URL of the server, e.g. http://127.0.0.1:3000. */
  base: string;
  path: string;
  tokens: readonly string[];
  connections: number;
  threads: number;
  seconds: number;
  /** A request without an answer after this long counts as a timeout (wrk's --timeout). */
  timeoutSeconds?: number;
  /** Called every few seconds while wrk runs. */
  onProgress?: (elapsedSeconds: number) => void;
};

/** Runs wrk once and parses its summary; its pid is handed to `started` for CPU accounting. */
export async function runWrk(run: WrkRun, started: (pid: number) => void = () => undefined): Promise<WrkSummary> {
  const directory = mkdtempSync(join(tmpdir(), 'sqlbound-wrk-'));
  try {
    const scriptFile = join(directory, 'rotate-tokens.lua');
    const tokensFile = join(directory, 'tokens.txt');
    writeFileSync(scriptFile, SCRIPT);
    writeFileSync(tokensFile, `${run.tokens.join('\n')}\n`);
    const threads = Math.max(1, Math.min(run.threads, run.connections));
    const args = [
      '--threads',
      String(threads),
      '--connections',
      String(run.connections),
      '--duration',
      `${run.seconds}s`,
      '--timeout',
      `${run.timeoutSeconds ?? 10}s`,
      '--script',
      scriptFile,
      '--latency',
      `${run.base}${run.path}`,
      '--',
      run.path,
      tokensFile,
      String(threads),
    ];
    const child = spawn(run.wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) started(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const began = performance.now();
    const ticker = setInterval(() => run.onProgress?.((performance.now() - began) / 1000), 10_000);
    // wrk stops by itself after --duration; this bounds a wrk that hangs (it waits for no more than the timeout).
    const killer = setTimeout(() => child.kill('SIGKILL'), (run.seconds + (run.timeoutSeconds ?? 10) + 30) * 1000);
    const code = await new Promise<number | null>((resolveExit, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode) => resolveExit(exitCode));
    }).finally(() => {
      clearInterval(ticker);
      clearTimeout(killer);
    });
    if (code !== 0) throw new Error(`wrk exited with ${code}:\n${stdout}\n${stderr}`);
    return parseWrkOutput(stdout);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
