// Reads Prometheus text exposition (what /metrics serves): every sample's name with the label names it carries.
// Sample names, not family names, are what PromQL selects: a histogram family `x` is stored as x_bucket, x_sum
// and x_count, and only if it has been observed at least once.

/** Sample name to the label names seen on it. */
export type Exposition = Map<string, Set<string>>;

const SAMPLE = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+\S+(?:\s+\S+)?$/;
const LABEL = /([A-Za-z_]\w*)="(?:[^"\\]|\\.)*"\s*,?\s*/y;

function labelNames(text: string, line: string): string[] {
  const names: string[] = [];
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (match?.[1] === undefined) throw new Error(`cannot read the labels of: ${line}`);
    names.push(match[1]);
  }
  return names;
}

export function parseExposition(text: string, into: Exposition = new Map()): Exposition {
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match?.[1] === undefined) throw new Error(`not a sample line: ${line}`);
    const labels = into.get(match[1]) ?? new Set<string>();
    for (const name of labelNames(match[2] ?? '', line)) labels.add(name);
    into.set(match[1], labels);
  }
  return into;
}

/** The label values of one label on one sample name: to check that a signal an alert needs really occurs. */
export function labelValues(text: string, sample: string, label: string): Set<string> {
  const values = new Set<string>();
  const pattern = new RegExp(`(?:^|[{,])${label}="((?:[^"\\\\]|\\\\.)*)"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${sample}{`)) continue;
    const value = pattern.exec(line)?.[1];
    if (value !== undefined) values.add(value);
  }
  return values;
}
