// `sqlbound audit`'s owner isolation section: every statement that says `-- owner: any`, with its reason, so the
// queries that cross owners on purpose are reviewed where the plans are, and a count of the proven ones.
import type { Manifest } from '../manifest/manifest.js';

/** Markdown: each `owner: any` query with its file, line and reason; then how many are confined and how many touch no owned table. */
export function formatIsolationReport(manifest: Pick<Manifest, 'queries'>): string {
  const crossing = manifest.queries.flatMap((query) =>
    query.isolation.kind === 'any'
      ? [`| ${query.name} | ${query.file}:${query.line} | ${query.isolation.reason.replaceAll('|', '\\|')} |`]
      : [],
  );
  const confined = manifest.queries.filter((query) => query.isolation.kind === 'owner').length;
  const untouched = manifest.queries.filter((query) => query.isolation.kind === 'none').length;
  const lines = [
    '## Owner isolation',
    '',
    `${confined} quer${confined === 1 ? 'y' : 'ies'} proven confined to the owner param, ${untouched} touching no owned table, ${crossing.length} crossing owners on purpose (\`-- owner: any\`).`,
    '',
  ];
  if (crossing.length > 0) lines.push('| query | where | reason |', '|---|---|---|', ...crossing, '');
  return `${lines.join('\n')}\n`;
}
