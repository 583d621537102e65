// Request text must be valid UTF-8. Node decodes invalid bytes in a body, and invalid percent-escapes in a query
// string, to U+FFFD without a word: a name sent as `ff fe c3 28` was stored as replacement characters, so what was
// saved was not what was sent. Both are checked on the bytes, before any parser decodes them, and refused with a 400.
import { Transform, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { trpcShapedError } from './http-errors.js';

/** A body error Fastify's error handler answers as a 400 with this message. */
function invalidBody(): Error & { statusCode: number; code: string } {
  return Object.assign(new Error('request body is not valid UTF-8: send the JSON as UTF-8 text'), {
    statusCode: 400,
    code: 'SQLBOUND_INVALID_UTF8',
  });
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/**
 * Fastify's preParsing hook: the body passes through unchanged, and the request fails once it has been read if
 * any byte sequence in it is not UTF-8 (or one is cut off at the end). The failure waits for the end on purpose: a
 * stream that fails halfway leaves the rest of the body unread on a keep-alive connection, and Node then resets it
 * under the client's next request. Fastify's body limit still counts every byte. A content type the API does not
 * parse is still a 415 first: Fastify picks the parser before it reads the stream.
 */
export async function utf8Body(request: FastifyRequest, _reply: FastifyReply, payload: Readable): Promise<Readable> {
  if (!hasBody(request)) return payload;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let valid = true;
  const check = (chunk?: Buffer) => {
    if (!valid) return;
    try {
      if (chunk === undefined) decoder.decode();
      else decoder.decode(chunk, { stream: true });
    } catch {
      valid = false;
    }
  };
  const checked = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      check(chunk);
      done(null, chunk);
    },
    flush(done) {
      check();
      done(valid ? null : invalidBody());
    },
  });
  // Piped only once Fastify reads: when it answers without reading (415, a Content-Length over the limit), Node
  // must still find the request unread, and discard it, or the keep-alive connection stalls and is reset.
  // pipe(), not pipeline(): a refused body must not destroy the request's socket before the 400 is written.
  checked.once('resume', () => {
    payload.on('error', (error) => checked.destroy(error));
    payload.pipe(checked);
  });
  return checked;
}

/** A request guard (app.ts): a query string whose percent-escapes do not decode as UTF-8 is a 400 (true: answered). */
export function utf8Query(request: FastifyRequest, reply: FastifyReply): boolean {
  const at = request.url.indexOf('?');
  if (at === -1 || !request.url.includes('%', at)) return false;
  try {
    decodeURIComponent(request.url.slice(at + 1));
    return false;
  } catch {
    void reply
      .code(400)
      .send(
        trpcShapedError(
          'BAD_REQUEST',
          400,
          'malformed query string: a percent-escape is not UTF-8 (or not % and two hex digits): encode the input with encodeURIComponent',
        ),
      );
    return true;
  }
}
