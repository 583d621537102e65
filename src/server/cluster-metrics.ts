// /metrics with N workers on one port (start:cluster, start:topology). node:cluster hands each scrape to one worker,
// so a worker that answered with its own series alone made every scrape a different process's counters: Prometheus
// saw a reset at each one, and rate(), increase() and the alert rules on them were wrong. Here the worker that takes
// the scrape asks the primary, which asks every worker for its text and merges them, each series labelled with its
// worker's id. Every series then comes from one process, so no counter goes backwards between two scrapes.
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { PrometheusMetrics } from './prometheus.js';

/** How long the primary waits for a worker's text; a worker that misses it is left out of that one scrape. */
const WORKER_TIMEOUT_MS = 2000;

type ClusterMessage =
  | { kind: 'metrics-scrape'; id: string }
  | { kind: 'metrics-request'; id: string }
  | { kind: 'metrics-text'; id: string; text: string }
  | { kind: 'metrics-merged'; id: string; text: string };

function asClusterMessage(message: unknown): ClusterMessage | null {
  if (typeof message !== 'object' || message === null) return null;
  const kind: unknown = Reflect.get(message, 'kind');
  const id: unknown = Reflect.get(message, 'id');
  const text: unknown = Reflect.get(message, 'text');
  if (typeof id !== 'string') return null;
  if (kind === 'metrics-scrape' || kind === 'metrics-request') return { kind, id };
  if ((kind === 'metrics-text' || kind === 'metrics-merged') && typeof text === 'string') return { kind, id, text };
  return null;
}

/** `name{a="b"} 1` -> `name{worker="3",a="b"} 1`; `name 1` -> `name{worker="3"} 1`. */
function withWorker(sample: string, worker: string): string {
  const label = `worker="${worker}"`;
  const brace = sample.indexOf('{');
  const space = sample.indexOf(' ');
  if (brace !== -1 && (space === -1 || brace < space)) {
    return sample[brace + 1] === '}'
      ? `${sample.slice(0, brace + 1)}${label}${sample.slice(brace + 1)}`
      : `${sample.slice(0, brace + 1)}${label},${sample.slice(brace + 1)}`;
  }
  return space === -1 ? sample : `${sample.slice(0, space)}{${label}}${sample.slice(space)}`;
}

/**
 * One exposition from several workers' texts: each family's `# HELP` and `# TYPE` once, then every worker's samples
 * of it, labelled `worker`. The format wants a family's samples together, hence grouping rather than concatenation.
 */
export function mergeWorkerMetrics(texts: { worker: string; text: string }[]): string {
  const families = new Map<string, { header: string[]; samples: string[] }>();
  for (const { worker, text } of texts) {
    let current: { header: string[]; samples: string[] } | undefined;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const comment = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (comment !== null) {
        const name = comment[2] ?? '';
        current = families.get(name);
        if (current === undefined) {
          current = { header: [], samples: [] };
          families.set(name, current);
        }
        // The first worker's header lines stand for all: the families are the same code in every worker.
        if (current.header.length < 2 && !current.header.some((seen) => seen.startsWith(`# ${comment[1] ?? ''} `)))
          current.header.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      if (current === undefined) {
        current = { header: [], samples: [] };
        families.set(`\0${line}`, current);
      }
      current.samples.push(withWorker(line, worker));
    }
  }
  return `${[...families.values()].flatMap((family) => [...family.header, ...family.samples]).join('\n')}\n`;
}

/**
 * In the primary: answers a worker's scrape with every worker's metrics merged. Call once, before forking.
 */
export function serveClusterMetrics(): void {
  const pending = new Map<string, (worker: Worker, text: string) => void>();
  cluster.on('message', (from: Worker, raw: unknown) => {
    const message = asClusterMessage(raw);
    if (message === null) return;
    if (message.kind === 'metrics-text') {
      pending.get(message.id)?.(from, message.text);
      return;
    }
    if (message.kind !== 'metrics-scrape') return;
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && worker.isConnected());
    const texts: { worker: string; text: string }[] = [];
    const requestId = randomUUID();
    const answer = () => {
      clearTimeout(timer);
      pending.delete(requestId);
      texts.sort((a, b) => Number(a.worker) - Number(b.worker));
      if (from.isConnected()) from.send({ kind: 'metrics-merged', id: message.id, text: mergeWorkerMetrics(texts) });
    };
    const timer = setTimeout(answer, WORKER_TIMEOUT_MS);
    pending.set(requestId, (worker, text) => {
      texts.push({ worker: String(worker.id), text });
      if (texts.length === workers.length) answer();
    });
    for (const worker of workers) worker.send({ kind: 'metrics-request', id: requestId });
  });
}

/**
 * In a worker: `metrics` whose metricsText() is every worker's, through the primary (serveClusterMetrics); the
 * worker answers the primary's requests with its own text. Outside a cluster, `metrics` unchanged.
 */
export function clusterWideMetrics(metrics: PrometheusMetrics): PrometheusMetrics {
  const send = process.send?.bind(process);
  if (!cluster.isWorker || send === undefined) return metrics;
  const waiting = new Map<string, (text: string) => void>();
  process.on('message', (raw: unknown) => {
    const message = asClusterMessage(raw);
    if (message?.kind === 'metrics-request') {
      metrics.metricsText().then(
        (text) => send({ kind: 'metrics-text', id: message.id, text }),
        () => send({ kind: 'metrics-text', id: message.id, text: '' }),
      );
    } else if (message?.kind === 'metrics-merged') {
      waiting.get(message.id)?.(message.text);
    }
  });
  return {
    ...metrics,
    metricsText: () =>
      new Promise<string>((resolveText, reject) => {
        const id = randomUUID();
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error('the cluster primary did not answer the metrics scrape'));
        }, WORKER_TIMEOUT_MS * 2);
        waiting.set(id, (text) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolveText(text);
        });
        send({ kind: 'metrics-scrape', id });
      }),
  };
}
