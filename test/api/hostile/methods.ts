// Every request method a client can send, on the wire as it is: RFC 9110's, PATCH, WebDAV's, the HTTP caches' and
// the drafts', and each one Node's parser knows. undici and fetch refuse some of them (CONNECT, TRACE), so these go
// over a plain TCP socket.
import { METHODS } from 'node:http';
import { connect } from 'node:net';

/** The API's own methods; the fuzz run covers them. */
const SERVED = new Set(['GET', 'HEAD', 'POST']);

const NAMED = [
  // RFC 9110
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  // RFC 5789
  'PATCH',
  // WebDAV (RFC 4918, 5323, 3253, 5842, 4791, 3744)
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'REPORT',
  'CHECKOUT',
  'MERGE',
  'MKACTIVITY',
  'BIND',
  'REBIND',
  'UNBIND',
  'MKCALENDAR',
  'ACL',
  // caches and proxies, the QUERY draft, RFC 2068's LINK and UNLINK, UPnP
  'PURGE',
  'QUERY',
  'LINK',
  'UNLINK',
  'M-SEARCH',
  'NOTIFY',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'SOURCE',
  // outside Node's parser: refused before any route
  'TRACK',
  'DEBUG',
  'PRI',
];

/** Every method above and every one Node parses, but the ones the API serves. */
export const UNSERVED_METHODS = [...new Set([...NAMED, ...METHODS])].filter((method) => !SERVED.has(method)).sort();

/** Node parses these; any other method is refused by its parser as a malformed request. */
export const PARSED = new Set(METHODS);

export type RawAnswer = { status: number; headers: Record<string, string>; body: string };

function parse(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, end === -1 ? undefined : end).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  let body = end === -1 ? '' : text.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    let decoded = '';
    for (let at = 0; ;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = Number.parseInt(body.slice(at, lineEnd), 16);
      if (!(size > 0)) break;
      decoded += body.slice(lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
    body = decoded;
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body };
}

/** One request on its own connection (Connection: close), read to the end; status 0 when nothing came back. */
export function rawRequest(base: string, request: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(request));
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer in 10 s to ${request.split('\r\n')[0] ?? ''}`)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(parse(Buffer.concat(chunks).toString('utf8'))));
  });
}

/** A request with a JSON body, as a client that means harm would send it. */
export function requestText(method: string, target: string, authorization: string): string {
  const body = '{}';
  return [
    `${method} ${target} HTTP/1.1`,
    'Host: 127.0.0.1',
    `Authorization: ${authorization}`,
    'Content-Type: application/json',
    `Content-Length: ${body.length}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
