// The plan audit's last verdicts, when a report exists: `npm run audit` and `sqlbound audit` write the JSON next to
// the Markdown (audit-report.json). Read on each refresh, at most once per file change; a missing or foreign file
// is "no report", never a page error.
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';

const reportSchema = z.object({
  generatedAt: z.string(),
  violations: z.number(),
  queries: z.array(
    z.object({
      name: z.string(),
      verdict: z.enum(['ok', 'violation']),
      p95Ms: z.number().nullable(),
      budgetMs: z.number().nullable(),
      findings: z.array(z.object({ kind: z.string() })),
    }),
  ),
});

type AuditVerdict = { verdict: 'ok' | 'violation'; p95Ms: number | null; kinds: string[] };
export type AuditVerdicts = { path: string; generatedAt: string; violations: number; byQuery: Map<string, AuditVerdict> };

export function auditReader(path: string): () => Promise<AuditVerdicts | null> {
  let cached: { mtimeMs: number; verdicts: AuditVerdicts | null } | null = null;
  return async () => {
    const info = await stat(path).catch(() => null);
    if (info === null) return null;
    if (cached?.mtimeMs === info.mtimeMs) return cached.verdicts;
    let verdicts: AuditVerdicts | null = null;
    try {
      const report = reportSchema.parse(JSON.parse(await readFile(path, 'utf8')));
      verdicts = {
        path,
        generatedAt: report.generatedAt,
        violations: report.violations,
        byQuery: new Map(
          report.queries.map((q) => [q.name, { verdict: q.verdict, p95Ms: q.p95Ms, kinds: [...new Set(q.findings.map((f) => f.kind))] }]),
        ),
      };
    } catch {
      verdicts = null;
    }
    cached = { mtimeMs: info.mtimeMs, verdicts };
    return verdicts;
  };
}
