// The folder rules of docs/architecture.md, checked by `npm run lint` (depcruise): the layers import downwards only,
// no files import each other in a circle, and the example reaches the two packages only through their public entries.
// The runtime package (`sqlbound`) is src/runtime; the generator package (`@sqlbound/cli`) is codegen/. Bottom to top:
// src/runtime; codegen/manifest (the model codegen writes and the audit reads); codegen/analysis; codegen/audit;
// codegen/stages; codegen (the pipeline); codegen/database; codegen/cli (the one layer over codegen, the audit and the
// database helpers); then the example (src/server, bench, scripts, test).
/** A rule that forbids `from` importing any of `to`. */
const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

const EXAMPLE = '^(src/server|generated|bench|scripts|test|examples)/';
const PUBLIC_ENTRIES = '^(src/runtime/index\\.ts|codegen/index\\.ts|codegen/database/index\\.ts)$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Files that import each other in a circle cannot be read, tested or moved apart.',
      severity: 'error',
      from: { pathNot: '^(test|bench|scripts)/' },
      to: { circular: true },
    },
    forbid('runtime-is-the-bottom', 'The runtime imports nothing of sqlbound but itself.', '^src/runtime/', '^(codegen|src/(?!runtime/))'),
    forbid(
      'generator-imports-the-runtime-by-its-entry',
      'The generator uses the runtime as an outside project does: through `sqlbound`, its public entry.',
      '^codegen/',
      '^src/runtime/(?!index\\.ts$)',
    ),
    forbid(
      'manifest-is-a-leaf',
      'The manifest imports only the runtime contract it describes.',
      '^codegen/manifest/',
      '^codegen/(?!manifest/)',
    ),
    forbid(
      'analysis-knows-no-stage',
      'The nullability and key engine knows no pipeline, audit or database.',
      '^codegen/analysis/',
      '^codegen/(?!analysis/|manifest/)',
    ),
    forbid(
      'audit-reads-the-manifest-only',
      'The audit reads the manifest, never the rest of codegen.',
      '^codegen/audit/',
      '^codegen/(?!manifest/|audit/)',
    ),
    forbid(
      'stages-below-the-pipeline',
      'A stage never imports the pipeline that runs it, nor the database helpers or the CLI.',
      '^codegen/stages/',
      '^codegen/((pipeline|project|describe-file|output|index)\\.ts|database/|cli/)',
    ),
    forbid(
      'codegen-below-the-cli',
      'Codegen is a library: the database helpers and the CLI sit above it.',
      '^codegen/(?!cli/|database/)',
      '^codegen/(database|cli)/',
    ),
    forbid(
      'database-helpers-over-the-runtime',
      'The database helpers use the runtime only.',
      '^codegen/database/',
      '^codegen/(?!database/)',
    ),
    forbid(
      'packages-never-import-the-example',
      'The packages work without the example: nothing in them imports it.',
      '^(codegen|src/runtime)/',
      EXAMPLE,
    ),
    {
      name: 'example-uses-public-entries',
      comment: 'The example uses sqlbound and @sqlbound/cli as an outside project would: only through their entries.',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^(codegen|src/runtime)/', pathNot: PUBLIC_ENTRIES },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/|^test/golden/cases/|^test/codegen/messages/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
