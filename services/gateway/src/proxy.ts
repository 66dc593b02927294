import { request, type Agent, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { ParameterizedContext } from 'koa';
import { HttpError, type ServiceState } from '@eventline/http';

export interface Upstream {
  service: string;
  baseUrl: URL;
}

export interface ProxyOptions {
  agent: Agent;
  /** Idle time allowed on the upstream connection (waiting for headers or body) before a 504. */
  timeoutMs: number;
}

/** Meaningful for one connection only (RFC 9110 §7.6.1); never forwarded in either direction. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** The headers without hop-by-hop ones, including those the Connection header names. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const connectionScoped = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionScoped.has(name)) continue;
    kept[name] = value;
  }
  return kept;
}

class UpstreamTimeout extends Error {}
/** The client went away first: not the upstream's fault, and nobody is left to answer. */
class ClientClosed extends Error {}

/**
 * Streams the request (method, path and query, headers, body) to the upstream and its answer
 * (status, headers, body) back. Resolves once the upstream's response headers are in; a refused or
 * broken connection before then is a 502 naming the service, silence for `timeoutMs` a 504.
 */
export function forward(ctx: ParameterizedContext<ServiceState>, upstream: Upstream, options: ProxyOptions): Promise<void> {
  const { baseUrl, service } = upstream;
  const incoming = ctx.req;
  const headers = endToEndHeaders(incoming.headers);
  // The gateway already answered any 100-continue to its client; the body follows regardless.
  delete headers.expect;
  // Transfer-Encoding is hop-by-hop, but a chunked body must stay chunked (Node would not frame a DELETE body).
  if (incoming.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
  headers['x-request-id'] = ctx.state.requestId;
  const clientAddress = incoming.socket.remoteAddress ?? '';
  const forwardedFor = incoming.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${clientAddress}` : clientAddress;
  headers['x-forwarded-proto'] = ctx.protocol;
  if (incoming.headers.host !== undefined) headers['x-forwarded-host'] = incoming.headers.host;

  const basePath = baseUrl.pathname.replace(/\/+$/, '');
  const pathAndQuery = incoming.url?.startsWith('/') ? incoming.url : `${ctx.path}${ctx.search}`;

  return new Promise<void>((resolve, reject) => {
    const outgoing = request({
      protocol: baseUrl.protocol,
      hostname: baseUrl.hostname,
      port: baseUrl.port,
      method: incoming.method,
      path: `${basePath}${pathAndQuery}`,
      headers,
      agent: options.agent,
    });
    let answered = false;

    outgoing.setTimeout(options.timeoutMs, () => outgoing.destroy(new UpstreamTimeout()));
    outgoing.once('response', (response: IncomingMessage) => {
      answered = true;
      respondWith(ctx, response);
      resolve();
    });
    outgoing.on('error', (error: Error) => {
      // After the headers, a failure surfaces on the response stream, which Koa handles.
      if (answered) return;
      // nginx's 499: logged as the client's doing, not as an upstream failure.
      if (error instanceof ClientClosed) reject(new HttpError(499, 'client_closed_request', 'the client closed the connection before the answer'));
      else reject(upstreamError(service, options.timeoutMs, error));
    });

    // A client that goes away takes its upstream request with it.
    ctx.res.once('close', () => {
      if (!ctx.res.writableFinished) outgoing.destroy(new ClientClosed());
    });
    incoming.pipe(outgoing);
  });
}

function respondWith(ctx: ParameterizedContext<ServiceState>, response: IncomingMessage): void {
  ctx.status = response.statusCode ?? 502;
  for (const [name, value] of Object.entries(endToEndHeaders(response.headers))) {
    if (value !== undefined) ctx.set(name, typeof value === 'number' ? String(value) : value);
  }
  ctx.body = response;
  // Koa labels a stream without a type application/octet-stream; the client gets what the upstream said.
  if (response.headers['content-type'] === undefined) ctx.remove('Content-Type');
}

function upstreamError(service: string, timeoutMs: number, cause: Error): HttpError {
  const error =
    cause instanceof UpstreamTimeout
      ? new HttpError(504, 'gateway_timeout', `${service} did not answer within ${timeoutMs} ms`)
      : new HttpError(502, 'bad_gateway', `${service} is unavailable`);
  error.cause = cause;
  return error;
}
