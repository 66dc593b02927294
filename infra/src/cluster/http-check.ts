import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';

/** The status code of a GET, for health checks; `ca` verifies the server, else any certificate is taken (loopback only). */
export function getStatus(url: string, options: { ca?: string; token?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
    const onResponse = (res: import('node:http').IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    };
    const req = url.startsWith('https:')
      ? request(url, { headers, timeout: 3000, ...(options.ca ? { ca: readFileSync(options.ca) } : { rejectUnauthorized: false }) }, onResponse)
      : httpRequest(url, { headers, timeout: 3000 }, onResponse);
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.end();
  });
}
