import { request, type ClientRequestArgs, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as requestTls, type RequestOptions as TlsRequestOptions } from 'node:https';

/** A whole HTTP answer, its body as bytes (for tests that check bodies byte for byte). */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One node:http request with `body` as written (no JSON encoding, no fetch normalisation); over TLS
 * (node:https) when `tls` holds its options, e.g. the CA to trust and the server name to verify.
 */
export function requestRaw(args: ClientRequestArgs & { tls?: TlsRequestOptions }, body?: Buffer | string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const { tls, ...options } = args;
    const onAnswer = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    };
    const req = tls ? requestTls({ ...options, ...tls }, onAnswer) : request(options, onAnswer);
    req.on('error', reject);
    req.end(body);
  });
}
