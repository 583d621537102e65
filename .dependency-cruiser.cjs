// The folder rules of docs/architecture.md, checked by `npm run lint` (depcruise): the layers import downwards only,
// and no files import each other in a circle. Bottom to top: src/runtime; src/manifest (the model codegen writes and
// the audit reads); codegen/analysis; src/audit; codegen/stages; codegen (the pipeline); src/database; src/cli (the one
// layer over codegen, the audit and the database helpers); then the example (src/server, bench, scripts, test).
/** A rule that forbids `from` importing any of `to`. */
const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

const EXAMPLE = '^(src/server|generated|bench|scripts|test|examples)/';

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
      'manifest-is-a-leaf',
      'The manifest imports only the runtime contract it describes.',
      '^src/manifest/',
      '^(codegen|src/(?!runtime/|manifest/))',
    ),
    forbid(
      'analysis-knows-no-stage',
      'The nullability and key engine knows no pipeline, audit or database.',
      '^codegen/analysis/',
      '^(codegen/(?!analysis/)|src/(?!runtime/|manifest/))',
    ),
    forbid(
      'audit-reads-the-manifest-only',
      'The audit reads the manifest, never codegen.',
      '^src/audit/',
      '^(codegen|src/(?!runtime/|manifest/|audit/))',
    ),
    forbid(
      'stages-below-the-pipeline',
      'A stage never imports the pipeline that runs it, nor the database helpers or the CLI.',
      '^codegen/stages/',
      '^(codegen/(pipeline|project|describe-file|output|index)\\.ts|src/(database|cli|server)/)',
    ),
    forbid(
      'codegen-below-the-cli',
      'Codegen is a library: the database helpers and the CLI sit above it.',
      '^codegen/',
      '^src/(database|cli|server)/',
    ),
    forbid(
      'database-helpers-over-the-runtime',
      'The database helpers use the runtime only.',
      '^src/database/',
      '^(codegen|src/(?!runtime/|database/))',
    ),
    forbid(
      'package-never-imports-the-example',
      'The packages work without the example: nothing in them imports it.',
      '^(codegen|src/(runtime|manifest|audit|database|cli))/',
      EXAMPLE,
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|test/golden/cases)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
