import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(fileURLToPath(new URL('../../', import.meta.url)));
/**
 * Where `npm start`, `npm run migrate` and `npm run seed` keep the embedded server's data (git-ignored):
 * env SQLBOUND_DATA_DIR, else .data/pg.
 */
export const persistentDataDir = resolve(process.env.SQLBOUND_DATA_DIR?.trim() || resolve(projectRoot, '.data', 'pg'));

/** The example's generated manifest (the model of every query). */
export const manifestPath = resolve(projectRoot, 'generated', 'manifest.json');

/** The example's migrations. */
export const schemaDir = resolve(projectRoot, 'sql', 'schema');

/** The plan audit's JSON report the performance page reads: env SQLBOUND_AUDIT_REPORT, else audit-report.json. */
export const auditReportPath = resolve(process.env.SQLBOUND_AUDIT_REPORT?.trim() || resolve(projectRoot, 'audit-report.json'));
