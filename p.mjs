import { loadModule, parseSync } from 'libpg-query';
await loadModule();
const q = process.argv[2];
console.log(JSON.stringify(parseSync(q), null, 1));
