// Errors answered before tRPC sees a request (body limits, content types, unknown routes, requests Node's HTTP
// parser refuses) in tRPC's own envelope, so a client reads every error the same way: `error.message`.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';

export function trpcShapedError(code: TRPC_ERROR_CODE_KEY, httpStatus: number, message: string) {
  return { error: { message, code: TRPC_ERROR_CODES_BY_KEY[code], data: { code, httpStatus } } };
}

/** Node's limit on the request line and headers together (http.maxHeaderSize), which bounds a query's URL. */
export const MAX_HEADER_BYTES = 16 * 1024;

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
  const body = JSON.stringify(trpcShapedError(code, status, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
