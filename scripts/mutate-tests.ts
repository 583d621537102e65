// The tests `npm run mutate` runs once per mutant (stryker.config.json): fast, no database, in one process
// (node --test would start a process per file, and on a loaded 2-core machine each start costs seconds).
// node:test runs them when they are imported and sets a failing exit code, which is what Stryker reads.
await import('../test/runtime/cursor.test.js');
await import('../test/runtime/observer.test.js');
