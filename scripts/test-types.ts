// npm run test:types: tsd over types-test/, the type guarantees of the generated SDK and of a tRPC client.
// tsd's CLI also requires the typings file to be in package.json's `files` (a rule for packages testing their
// own published .d.ts). Here the typings are the example's generated/index.ts, which the package does not
// ship, so that one rule is left out; every type assertion is reported as the CLI reports it.
// tsd is CommonJS: its default import is module.exports, which holds the run function and the formatter.
import tsdModule from 'tsd';
import { projectRoot } from '../src/server/paths.js';

const { default: tsd, formatter } = tsdModule;
const TYPINGS = 'generated/index.ts';
const diagnostics = (await tsd({ cwd: projectRoot, typingsFile: TYPINGS, testFiles: ['types-test/**/*.test-d.ts'] })).filter(
  (diagnostic) => !(diagnostic.fileName.endsWith('package.json') && diagnostic.message.includes('is not part of the `files` list')),
);
if (diagnostics.length > 0) {
  console.error(formatter(diagnostics, true));
  process.exit(1);
}
console.log('tsd: every type assertion in types-test/ holds');
