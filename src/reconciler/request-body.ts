import type http from 'node:http';

/** A request body read up to a limit: the bytes, or the fact that it was larger. */
export type BodyRead = { ok: true; body: Buffer } | { ok: false; reason: 'too-large' };

/**
 * Reads a request body of at most `limit` bytes. A larger one (by Content-Length, or once the bytes
 * read pass the limit) resolves at once as too large, so the caller can answer 413 while the rest
 * is read and thrown away, which lets the client finish sending and read the answer instead of
 * seeing its connection reset; past `drainLimit` more bytes the connection is closed after all.
 */
export function readBoundedBody(req: http.IncomingMessage, limit: number, drainLimit = 16 * limit): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (read: BodyRead) => {
      settled = true;
      resolve(read);
    };
    const refuse = () => {
      chunks.length = 0;
      settle({ ok: false, reason: 'too-large' });
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) refuse();
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (settled) {
        if (size > limit + drainLimit) req.destroy();
        return;
      }
      if (size > limit) refuse();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!settled) settle({ ok: true, body: Buffer.concat(chunks) });
    });
    req.on('error', (error) => {
      if (!settled) reject(error);
    });
    req.on('close', () => {
      if (!settled) reject(new Error('the request was closed before its body was read'));
    });
  });
}
