// The PromQL of ops/: each alert rule's expression, and each query of the Grafana dashboard, with where it is.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../src/server/paths.js';

export const alertsPath = resolve(projectRoot, 'ops', 'prometheus', 'alerts.yml');
export const alertsTestPath = resolve(projectRoot, 'ops', 'prometheus', 'alerts.test.yml');
export const dashboardPath = resolve(projectRoot, 'ops', 'grafana', 'sqlbound.json');

/** One PromQL expression; `labels` are label names it uses outside the expression (a variable's label_values). */
export type Query = { where: string; expr: string; labels: string[] };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function records(value: unknown, where: string): Record<string, unknown>[] {
  if (!Array.isArray(value) || !value.every(isRecord)) throw new Error(`${where}: expected a list of mappings`);
  return value;
}

export async function alertRules(): Promise<{ alert: string; expr: string; for: string | undefined }[]> {
  const file: unknown = parse(await readFile(alertsPath, 'utf8'));
  if (!isRecord(file)) throw new Error(`${alertsPath}: not a mapping`);
  return records(file.groups, 'groups').flatMap((group) =>
    records(group.rules, 'rules').map((rule) => {
      if (typeof rule.alert !== 'string' || typeof rule.expr !== 'string') throw new Error('a rule without alert and expr');
      return { alert: rule.alert, expr: rule.expr, for: typeof rule.for === 'string' ? rule.for : undefined };
    }),
  );
}

/** Every `expr` anywhere in the dashboard (panel targets, rows' panels), and the query variables' label_values. */
export async function dashboardQueries(): Promise<Query[]> {
  const dashboard: unknown = JSON.parse(await readFile(dashboardPath, 'utf8'));
  if (!isRecord(dashboard)) throw new Error(`${dashboardPath}: not an object`);
  const queries: Query[] = [];
  const walk = (value: unknown, where: string) => {
    if (Array.isArray(value)) value.forEach((item, index) => walk(item, `${where}[${index}]`));
    if (!isRecord(value)) return;
    const title = typeof value.title === 'string' ? ` "${value.title}"` : '';
    for (const [key, child] of Object.entries(value)) {
      if (key === 'expr' && typeof child === 'string') queries.push({ where: `${where}${title}`, expr: child, labels: [] });
      else if (key !== 'templating') walk(child, `${where}${title}.${key}`);
    }
  };
  walk(dashboard.panels, 'panels');
  const templating = isRecord(dashboard.templating) ? records(dashboard.templating.list, 'templating.list') : [];
  for (const variable of templating) {
    if (variable.type !== 'query') continue;
    const query = isRecord(variable.query) ? variable.query.query : variable.query;
    const match = typeof query === 'string' ? /^label_values\((.+),\s*(\w+)\)$/.exec(query.trim()) : null;
    if (match?.[1] === undefined || match[2] === undefined)
      throw new Error(`variable ${String(variable.name)}: only label_values(selector, label) is read`);
    queries.push({ where: `variable $${String(variable.name)}`, expr: match[1], labels: [match[2]] });
  }
  return queries;
}
