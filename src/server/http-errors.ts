// Errors answered before tRPC sees a request (body limits, content types, unknown routes, requests Node's HTTP
// parser refuses) in tRPC's own envelope, so a client reads every error the same way: `error.message`.
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';

export function trpcShapedError(code: TRPC_ERROR_CODE_KEY, httpStatus: number, message: string) {
  return { error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus } } };
}

/** Node's limit on the request line and headers together (http.maxHeaderSize), which bounds a query's URL. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** What the API speaks: queries are GET (HEAD answers as GET does), mutations POST. */
const METHODS = new Set(['GET', 'HEAD', 'POST']);
const ALLOW = 'GET, HEAD, POST';

function methodMessage(method: string): string {
  return `method ${method} is not supported: queries are GET, mutations POST`;
}

/**
 * The first of the request guards (app.ts): any other method is a 405 before routing, and true says it answered.
 * tRPC's adapter builds a Fetch Request, which throws on TRACE (and CONNECT, TRACK): that was a 500 with an
 * error-level log line and a stack.
 */
export function methodGuard(request: FastifyRequest, reply: FastifyReply): boolean {
  if (METHODS.has(request.method)) return false;
  void reply
    .code(405)
    .header('allow', ALLOW)
    .send(trpcShapedError('METHOD_NOT_SUPPORTED', 405, methodMessage(request.method)));
  return true;
}

/** Writes a whole HTTP answer on a raw socket, in the API's error shape, and closes it. */
function answerRaw(socket: Duplex, status: number, code: TRPC_ERROR_CODE_KEY, message: string, headers: string[] = []): void {
  const body = JSON.stringify(trpcShapedError(code, status, message));
  if (socket.writable) {
    socket.write(
      [
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        ...headers,
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  }
}

/**
 * The HTTP server's `connect` listener. Node hands CONNECT to this event, never to Fastify, and with no listener
 * it closes the connection without an answer. The API is no proxy: 405, then close.
 */
export function connectHandler(request: IncomingMessage, socket: Duplex): void {
  answerRaw(socket, 405, 'METHOD_NOT_SUPPORTED', methodMessage(request.method ?? 'CONNECT'), [`Allow: ${ALLOW}`]);
  socket.end();
}

/**
 * Fastify's `clientErrorHandler`: Node's parser refused the request (headers over 16 KiB, a malformed
 * request line), so no route runs. Answer as Node would, in the API's error shape, then close the socket.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, TRPC_ERROR_CODE_KEY, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'BAD_REQUEST', `request too large: the URL and headers must fit in ${MAX_HEADER_BYTES} bytes`]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'TIMEOUT', 'request timed out']
        : [400, 'BAD_REQUEST', 'malformed HTTP request'];
  answerRaw(socket, status, code, message);
  socket.destroy(error);
}
