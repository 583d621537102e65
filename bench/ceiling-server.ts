// The machine's ceiling for the load test's burst: a bare node:http server, in its own process, that does per
// request only what the API does outside the query: the same bearer-token check (createAuthVerifier's), a lookup
// in a prepared Map of each user's real dashboard response bytes, and the write with the same content type.
// Whatever the API's burst p95 is above this server's, in the same run with the same generator, is the API's own.
//   CEILING_SECRET=... CEILING_BODIES=<file: JSON object userId -> response text> node --import tsx bench/ceiling-server.ts
// Listens on 127.0.0.1 and an ephemeral port, then prints `listening <port>` on stdout.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { z } from 'zod';
import { createAuthVerifier } from '../src/server/auth.js';

const secret = process.env.CEILING_SECRET ?? '';
const bodiesFile = process.env.CEILING_BODIES ?? '';
if (secret === '' || bodiesFile === '') {
  process.stderr.write('ceiling-server: needs CEILING_SECRET and CEILING_BODIES\n');
  process.exit(1);
}
const texts = z.record(z.string(), z.string()).parse(JSON.parse(readFileSync(bodiesFile, 'utf8')));
// Bytes prepared once, as a response cache would hold them: the request pays the lookup and the write only.
const bodies = new Map(Object.entries(texts).map(([userId, text]) => [userId, Buffer.from(text)]));
const unauthorized = Buffer.from(JSON.stringify({ error: { message: 'unauthorized', code: -32001 } }));
const notFound = Buffer.from(JSON.stringify({ error: { message: 'no such user', code: -32004 } }));

// The API's own verifier, with its memory of verified headers: the same token check, at the same cost.
const verifyAuthorization = createAuthVerifier(secret);
const server = createServer((request, response) => {
  if (request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  const auth = verifyAuthorization(request.headers.authorization);
  const body = auth.kind === 'user' ? bodies.get(auth.userId) : undefined;
  const [status, bytes] = auth.kind !== 'user' ? [401, unauthorized] : body === undefined ? [404, notFound] : [200, body];
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length }).end(bytes);
});
// The API's Node server keeps the default backlog too (511): the same listen queue for the 1000 connects.
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
