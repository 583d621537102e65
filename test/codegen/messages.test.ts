// Golden cases for the CLI's messages, as sqlc's end-to-end tests hold its stderr: each folder under messages/ is
// a project (project/), the command run in it (command: the arguments after `sqlbound`), optionally its
// environment (env: KEY=VALUE lines; an empty value unsets the variable), and expected.txt: the exit code, stdout
// and stderr, exactly. A command that fails must leave every file of the project byte-identical (nothing in `out`
// deleted or half-written). UPDATE_GOLDEN=1 rewrites expected.txt; review the diff before committing it.
// Placeholders in env: {{adminUrl}} (a server that runs), {{refusedUrl}} (a port nobody listens on),
// {{wrongPasswordUrl}}, {{unknownDatabaseUrl}}. Output is normalised: the project folder is <project>, those
// ports are <port>, durations are <n>s. DATABASE_URL defaults to {{adminUrl}}, so migrations run on that server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, suite, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '../../codegen/database/server.js';
import { projectRoot } from '../../src/server/paths.js';
import { testDatabase } from '../support/database.js';

const casesDir = fileURLToPath(new URL('./messages/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const cases = (await readdir(casesDir)).sort();
const cli = join(projectRoot, 'codegen', 'cli', 'main.ts');
// The project is the working directory, so tsx is named by its path: it would be resolved from there.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const server = await testDatabase({ migrated: false });
const admin = new URL(server.adminUrl);
const refusedPort = String(await freePort());
const withUrl = (change: (url: URL) => void): string => {
  const url = new URL(server.adminUrl);
  change(url);
  return url.toString();
};
const placeholders: Record<string, string> = {
  adminUrl: server.adminUrl,
  refusedUrl: withUrl((url) => {
    url.port = refusedPort;
  }),
  wrongPasswordUrl: withUrl((url) => {
    url.password = 'not-the-password';
  }),
  unknownDatabaseUrl: withUrl((url) => {
    url.pathname = '/no_such_database';
  }),
};

async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), (await readFile(path)).toString('base64'));
  }
  return files;
}

async function environment(caseDir: string): Promise<NodeJS.ProcessEnv> {
  // tsx reads the repo's tsconfig (its paths name the runtime's source), not one from the project's folder.
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: server.adminUrl, TSX_TSCONFIG_PATH: join(projectRoot, 'tsconfig.json') };
  const text = await readFile(join(caseDir, 'env'), 'utf8').catch(() => '');
  for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
    const [key = '', ...rest] = line.split('=');
    const value = rest.join('=').replace(/\{\{(\w+)\}\}/g, (_, name: string) => placeholders[name] ?? `{{${name}}}`);
    if (value === '') delete env[key];
    else env[key] = value;
  }
  return env;
}

function normalise(text: string, project: string): string {
  return text
    .replaceAll(project, '<project>')
    .replaceAll(`:${admin.port}`, ':<port>')
    .replaceAll(`:${refusedPort}`, ':<port>')
    .replace(/\d+(\.\d+)?s\b/g, '<n>s');
}

const projects: string[] = [];
after(() => Promise.all(projects.map((dir) => rm(dir, { recursive: true, force: true }))));

test('there is a golden case for each CLI message of issue 27', () => {
  assert.ok(cases.length >= 10, `${cases.length} cases`);
});

// Each case is a CLI process of its own, mostly waiting on tsx's start: four at a time.
suite('CLI message golden cases', { concurrency: 4 }, () => {
  for (const name of cases) {
    test(name, { timeout: 120_000 }, async () => {
      const caseDir = join(casesDir, name);
      const project = await mkdtemp(join(tmpdir(), `sqlbound-message-${name}-`));
      projects.push(project);
      await cp(join(caseDir, 'project'), project, { recursive: true });
      const args = (await readFile(join(caseDir, 'command'), 'utf8')).trim().split(/\s+/);
      const before = await snapshot(project);
      const env = await environment(caseDir);
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolveRun) => {
        execFile(process.execPath, ['--import', tsx, cli, ...args], { cwd: project, env }, (error, stdout, stderr) =>
          resolveRun({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
        );
      });
      const actual = `exit ${result.code}\n--- stdout\n${normalise(result.stdout, project)}--- stderr\n${normalise(result.stderr, project)}`;
      const expectedFile = join(caseDir, 'expected.txt');
      if (update) await writeFile(expectedFile, actual);
      assert.equal(actual, await readFile(expectedFile, 'utf8'));
      if (result.code !== 0) assert.deepEqual(await snapshot(project), before, 'a failed command changed files of the project');
    });
  }
});
