// Issue 24: every ```ts block inside an `@example` of a public export typechecks, so an example cannot name a
// function, option or field the package does not have. doc-comments.test.ts proves each export has an example;
// this proves the examples are true. The public entries are the names tsconfig.json's `paths` maps (the names a
// reader imports); exports are followed to their declarations by the checker, so modules may move freely; and all
// blocks are checked in one program (a program per block would take minutes).
//
// A block is checked as a module at the project root, as if it were a file of an application whose codegen output
// is ./generated/ (the repo's example application is exactly that): `import type { DB } from './generated/db.js'`
// and the generated query functions resolve to the real generated SDK, so an example that calls one with the
// wrong arguments fails too. The blocks live only in memory: nothing is written to the repo.
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { projectRoot } from '../../src/server/paths.js';

// The one name an example may use without declaring it, because every reader has it: the application's handle,
// made once at startup. Anything else an example needs it imports, or declares (`declare const userId: string;`)
// so that the reader sees what it is given.
const PRELUDE = `import type { Db } from 'sqlbound';
import type { DB } from './generated/db.js';
declare global {
  /** The application's database handle: createDb<DB>(...) at startup. */
  const db: Db<DB>;
}
`;
const PRELUDE_FILE = join(projectRoot, '__doc_examples_prelude__.ts');

type Example = {
  /** The public entry and export name a reader looks it up by, e.g. `sqlbound#createDb`. */
  exportName: string;
  /** Where the `@example` tag is, `file:line` from the project root. */
  at: string;
  code: string;
  fileName: string;
};

// The repo's compiler options (strict, NodeNext, the `paths` of the public entries), except that an example may
// leave a value unused: it shows a call, not everything the reader goes on to do with its result.
function loadOptions(): ts.CompilerOptions {
  const configPath = join(projectRoot, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, projectRoot, undefined, configPath);
  return { ...parsed.options, noUnusedLocals: false, noUnusedParameters: false, noEmit: true };
}

// The package's public entries: each `paths` name without a wildcard, and the file it maps to.
function entriesOf(options: ts.CompilerOptions): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [name, targets] of Object.entries(options.paths ?? {})) {
    const target = targets[0];
    if (target !== undefined && !name.includes('*')) entries.set(name, join(projectRoot, target));
  }
  return entries;
}

// The ```ts (or ```typescript) fenced blocks of one `@example` tag's text, or null when a fence is left open. JSDoc
// starts a new tag at an `@` after whitespace, even inside a fence (`// @ts-expect-error`, a decorator): the tag's
// text then stops mid-block, and the rest of the block would go unchecked without a word.
function fencedBlocks(text: string): string[] | null {
  const fences = text.split('\n').filter((line) => line.trimStart().startsWith('```')).length;
  if (fences % 2 !== 0) return null;
  return [...text.matchAll(/^```(?:ts|typescript)\b[^\n]*\n([\s\S]*?)^```/gm)].map((match) => match[1] ?? '');
}

// Every @example tag on a declaration and on the members inside it (an interface's or class's, or an object type's
// properties): a member's example shows in the same hover and can drift just the same.
function exampleTags(declaration: ts.Node): ts.JSDocTag[] {
  const tags: ts.JSDocTag[] = [];
  const visit = (node: ts.Node): void => {
    for (const doc of ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc)) {
      tags.push(...(doc.tags ?? []).filter((tag) => tag.tagName.text === 'example'));
    }
    if (ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node) || ts.isTypeLiteralNode(node)) ts.forEachChild(node, visit);
    else if (ts.isTypeAliasDeclaration(node) && ts.isTypeLiteralNode(node.type)) visit(node.type);
  };
  visit(declaration);
  return tags;
}

function collectExamples(program: ts.Program, entries: ReadonlyMap<string, string>): { examples: Example[]; unclosed: string[] } {
  const checker = program.getTypeChecker();
  const examples: Example[] = [];
  const unclosed: string[] = [];
  // A declaration exported by two entries (or under two names) has its examples checked once.
  const seen = new Set<ts.Node>();
  for (const [entry, file] of entries) {
    const source = program.getSourceFile(file);
    assert.ok(source, `${file} (entry ${entry}) is not in the program`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    assert.ok(moduleSymbol, `${file} (entry ${entry}) is not a module`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      for (const declaration of target.declarations ?? []) {
        const declaredIn = declaration.getSourceFile();
        // Re-exports of a dependency (zod's `z`) carry the dependency's docs, not ours.
        if (seen.has(declaration) || program.isSourceFileFromExternalLibrary(declaredIn)) continue;
        seen.add(declaration);
        for (const tag of exampleTags(declaration)) {
          const line = declaredIn.getLineAndCharacterOfPosition(tag.getStart()).line + 1;
          const exportName = `${entry}#${exported.name}`;
          const at = `${relative(projectRoot, declaredIn.fileName)}:${line}`;
          const blocks = fencedBlocks(ts.getTextOfJSDocComment(tag.comment) ?? '');
          if (blocks === null) unclosed.push(`  ${at} ${exportName}`);
          for (const code of blocks ?? []) {
            const slug = exportName.replace(/[^A-Za-z0-9]+/g, '_');
            const fileName = join(projectRoot, `__doc_example_${examples.length}_${slug}.ts`);
            examples.push({ exportName, at, code, fileName });
          }
        }
      }
    }
  }
  return { examples, unclosed };
}

// A host that serves the examples and the prelude from memory and everything else from disk, and keeps each file
// it parsed: the examples' program then reuses the package's files (and, through `oldProgram`, their module
// resolution) from the program that found the examples, instead of parsing some 700 files twice.
function cachingHost(options: ts.CompilerOptions, inMemory: ReadonlyMap<string, string>): ts.CompilerHost {
  const disk = ts.createCompilerHost(options, true);
  const parsed = new Map<string, ts.SourceFile | undefined>();
  return {
    ...disk,
    fileExists: (fileName) => inMemory.has(fileName) || disk.fileExists(fileName),
    readFile: (fileName) => inMemory.get(fileName) ?? disk.readFile(fileName),
    getSourceFile: (fileName, languageVersion, onError, shouldCreate) => {
      const text = inMemory.get(fileName);
      if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true);
      if (!parsed.has(fileName)) parsed.set(fileName, disk.getSourceFile(fileName, languageVersion, onError, shouldCreate));
      return parsed.get(fileName);
    },
  };
}

function describeDiagnostic(diagnostic: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n      ');
  if (!diagnostic.file || diagnostic.start === undefined) return message;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `block line ${line + 1}:${character + 1}: ${message}`;
}

test('every ```ts block in an @example of a public export typechecks against the package', () => {
  const options = loadOptions();
  const entries = entriesOf(options);
  assert.ok(entries.size > 0, 'tsconfig.json maps no package entries in `paths`');
  const inMemory = new Map<string, string>();
  const host = cachingHost(options, inMemory);
  const packageProgram = ts.createProgram({ rootNames: [...entries.values()], options, host });
  const { examples, unclosed } = collectExamples(packageProgram, entries);
  assert.ok(examples.length > 0, 'no ```ts blocks found in @example tags');
  assert.deepEqual(
    unclosed,
    [],
    `@example tags whose code fence does not close (a line of the block with \`@\` after a space starts a new JSDoc ` +
      `tag; rephrase it):\n${unclosed.join('\n')}`,
  );

  inMemory.set(PRELUDE_FILE, PRELUDE);
  // `export {}` makes a block without imports a module too, so its top-level names and awaits stay its own.
  for (const example of examples) inMemory.set(example.fileName, `${example.code}\nexport {};\n`);
  const program = ts.createProgram({ rootNames: [...inMemory.keys()], options, host, oldProgram: packageProgram });

  // Only the blocks (and the prelude) are checked: tsc checks the package itself, and checking all of it again
  // here would take half a minute instead of a few seconds.
  const checked = [...inMemory.keys()].map((fileName) => program.getSourceFile(fileName));
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...checked.flatMap((source) => (source ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)] : [])),
  ];
  const byFile = new Map(examples.map((example) => [example.fileName, example]));
  const failures = diagnostics.map((diagnostic) => {
    const example = diagnostic.file ? byFile.get(diagnostic.file.fileName) : undefined;
    if (example !== undefined) return `  ${example.at} ${example.exportName}, ${describeDiagnostic(diagnostic)}`;
    const where = diagnostic.file ? relative(projectRoot, diagnostic.file.fileName) : 'options';
    return `  ${where} (not an example): ${describeDiagnostic(diagnostic)}`;
  });
  assert.equal(
    failures.length,
    0,
    `${failures.length} diagnostics in ${examples.length} @example blocks (each checked as a module at the project ` +
      `root, with \`db\` declared by the prelude in this test):\n${failures.join('\n')}`,
  );
});
