import { request, type ClientRequestArgs, type IncomingHttpHeaders } from 'node:http';

/** A whole HTTP answer, its body as bytes (for tests that check bodies byte for byte). */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One node:http request with `body` as written (no JSON encoding, no fetch normalisation). */
export function requestRaw(args: ClientRequestArgs, body?: Buffer | string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(args, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
