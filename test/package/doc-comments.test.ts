// Issue 14: every public export of the three package entries carries a doc comment with an `@example`, written at
// its declaration so that an editor's hover and the emitted .d.ts show it. Checked with the TypeScript compiler
// over the root tsconfig; re-exports are followed to the declaration they name.
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { projectRoot } from '../../src/server/paths.js';

const ENTRIES = {
  sqlbound: 'src/runtime/index.ts',
  '@sqlbound/cli/codegen': 'codegen/index.ts',
  '@sqlbound/cli/testing': 'codegen/database/index.ts',
} as const;

// Exports whose declaration is not ours, so it cannot carry our comment. Each needs its reason; nothing else is
// exempt, and an entry that no longer matches an export fails the test so the list cannot go stale.
const NOT_OURS: ReadonlyMap<string, string> = new Map([
  // zod's own namespace, re-exported so generated input schemas and sqlbound's input blocks share one zod
  // instance; its documentation is zod's. The re-export is explained in src/runtime/index.ts.
  ['sqlbound#z', 'zod'],
]);

type Missing = { name: string; file: string; lacks: string };

function loadProgram(): ts.Program {
  const configPath = join(projectRoot, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, projectRoot, undefined, configPath);
  const rootNames = Object.values(ENTRIES).map((file) => join(projectRoot, file));
  return ts.createProgram({ rootNames, options: parsed.options });
}

// The comment and tags of the JSDoc blocks directly on a declaration (a variable's sit on its statement).
function docOf(declaration: ts.Declaration): { text: string; examples: string[] } {
  const docs = ts.getJSDocCommentsAndTags(declaration).filter(ts.isJSDoc);
  const text = docs
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
    .join('\n')
    .trim();
  const examples = docs
    .flatMap((doc) => doc.tags ?? [])
    .filter((tag) => tag.tagName.text === 'example')
    .map((tag) => (ts.getTextOfJSDocComment(tag.comment) ?? '').trim());
  return { text, examples };
}

function check(symbol: ts.Symbol, name: string): Missing | undefined {
  const declarations = symbol.declarations ?? [];
  const file = declarations[0] ? relative(projectRoot, declarations[0].getSourceFile().fileName) : '(no declaration)';
  const docs = declarations.map(docOf);
  const described = docs.some((doc) => doc.text.length > 0);
  const exampled = docs.some((doc) => doc.examples.some((example) => example.length > 0));
  if (described && exampled) return undefined;
  const lacks = !described && !exampled ? 'doc comment and @example' : !described ? 'description' : '@example';
  return { name, file, lacks };
}

test('every public export has a doc comment with an @example, at its declaration', () => {
  const program = loadProgram();
  const checker = program.getTypeChecker();
  const missing: Missing[] = [];
  const seen = new Set<string>();
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const source = program.getSourceFile(join(projectRoot, file));
    assert.ok(source, `${file} is not in the program`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    assert.ok(moduleSymbol, `${file} is not a module`);
    const exports = checker.getExportsOfModule(moduleSymbol);
    assert.ok(exports.length > 0, `${file} exports nothing`);
    for (const exported of exports) {
      const key = `${entry}#${exported.name}`;
      seen.add(key);
      if (NOT_OURS.has(key)) continue;
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const problem = check(target, `${entry}: ${exported.name}`);
      if (problem) missing.push(problem);
    }
  }
  const stale = [...NOT_OURS.keys()].filter((key) => !seen.has(key));
  assert.deepEqual(stale, [], `allow-list entries that match no export: ${stale.join(', ')}`);
  assert.equal(
    missing.length,
    0,
    `${missing.length} public exports lack a doc comment with an @example:\n` +
      missing.map((m) => `  ${m.name} (${m.file}): no ${m.lacks}`).join('\n'),
  );
});
