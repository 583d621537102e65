// Generated modules and the runtime agree on a manifest version, or createDb refuses to start with the fix: an
// application that installed sqlbound and @sqlbound/cli at different versions fails once, at startup.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDb, generatedBy, GeneratedCodeVersionError, SUPPORTED_MANIFEST_VERSIONS } from 'sqlbound';
import { MANIFEST_VERSION } from '@sqlbound/cli/codegen';
import '../../generated/index.js';

test('this repo writes what this runtime runs: the generator manifest version is supported', () => {
  assert.ok(
    SUPPORTED_MANIFEST_VERSIONS.includes(MANIFEST_VERSION),
    `version ${MANIFEST_VERSION} in ${SUPPORTED_MANIFEST_VERSIONS.join(', ')}`,
  );
});

test('generated modules of the current version start: createDb accepts them', async () => {
  generatedBy({ manifestVersion: MANIFEST_VERSION, generator: '@sqlbound/cli new', source: 'sql/queries/new.sql' });
  const db = createDb({ connectionString: 'postgres://127.0.0.1:1/none' });
  await db.close();
});

test('a module of an older manifest version makes createDb throw, naming the module, the versions and the fix', () => {
  generatedBy({ manifestVersion: MANIFEST_VERSION - 1, generator: '@sqlbound/cli 0.1.0', source: 'sql/queries/old.sql' });
  assert.throws(
    () => createDb({ connectionString: 'postgres://127.0.0.1:1/none' }),
    (error: unknown) =>
      error instanceof GeneratedCodeVersionError &&
      error.modules.length === 1 &&
      error.modules[0]?.source === 'sql/queries/old.sql' &&
      /sql\/queries\/old\.sql \(@sqlbound\/cli 0\.1\.0, manifest version \d+\)/.test(error.message) &&
      /npx sqlbound codegen/.test(error.message),
  );
});
