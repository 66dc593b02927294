import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa, { type Middleware } from 'koa';
import { Router } from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { createLogger, type Logger } from '@eventline/observability';
import { accessLog } from './access-log';
import { errorHandler } from './error-handler';
import { registerHealthRoutes, type LivenessCheck, type ReadinessCheck } from './health';
import { guardQueries } from './query-guard';
import { requestId } from './request-id';
import { ConnectionDrain } from './connection-drain';
import { closeServer, installSignalHandlers, ShutdownHooks, type ShutdownHook } from './shutdown';
import type { ServiceState } from './state';

export interface HttpServiceOptions {
  name: string;
  /** 0 picks a free port (tests); start() returns the one bound. */
  port: number;
  /** Defaults to 0.0.0.0. */
  host?: string;
  /** Defaults to createLogger(name). */
  logger?: Logger;
  /**
   * Registers the service's routes. /healthz, /readyz and /metrics are already there. A route refuses
   * any query string (400 `unknown_query_parameter`) unless `acceptsQuery` is among its middleware.
   */
  routes: (router: Router<ServiceState>) => void;
  /** Checks behind /readyz; all must pass. */
  readiness?: ReadinessCheck[];
  /** /healthz fails (and Kubernetes restarts the pod) when one of these is false. */
  liveness?: LivenessCheck[];
  /** A readiness check not answering within this counts as failed. Defaults to 2000. */
  readinessTimeoutMs?: number;
  /** Middleware run after the body is parsed and before the routes (idempotency keys). */
  middleware?: Middleware<ServiceState>[];
  /** Largest JSON body accepted, in bytes or as '64kb'. Defaults to '64kb'. */
  bodyLimit?: string | number;
  /**
   * False installs no body parser: request bodies reach the handlers unread, as `ctx.req`, for a
   * service that streams them on (the gateway). `validateBody` then sees none. Defaults to true.
   */
  parseBodies?: boolean;
  /** How long a signal-triggered stop may take before the process exits 1. Defaults to 25000. */
  shutdownTimeoutMs?: number;
  /**
   * How long an idle keep-alive connection stays open. Defaults to 95000: longer than the gateway's
   * idle timeout for its upstream connections (Traefik's 90 s), so that the proxy, not the service,
   * closes them. With Node's 5 s the service closes connections the proxy may be sending a request on
   * at that moment, and the client gets a 502.
   */
  keepAliveTimeoutMs?: number;
}

export interface HttpService {
  app: Koa<ServiceState>;
  start(): Promise<{ port: number }>;
  /** Graceful: stop accepting, let in-flight requests finish, then run the shutdown hooks. Idempotent. */
  stop(): Promise<void>;
  /** Registers a hook for stop(); hooks run in reverse registration order. */
  onShutdown(name: string, hook: ShutdownHook): void;
  /**
   * Registers a hook that runs when stop() begins, before the drain: it ends responses that would
   * otherwise never finish (server-sent event streams), so that the drain can complete.
   */
  onDrain(name: string, hook: ShutdownHook): void;
  /** SIGTERM and SIGINT → stop() → exit 0 (exit 1 if it fails or outlasts shutdownTimeoutMs). */
  installSignalHandlers(): void;
}

export function createHttpService(options: HttpServiceOptions): HttpService {
  const log = options.logger ?? createLogger(options.name);
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 25_000;
  const hooks = new ShutdownHooks(log);
  const drainHooks = new ShutdownHooks(log);
  let shuttingDown = false;
  let server: Server | undefined;
  let drain: ConnectionDrain | undefined;
  let stopping: Promise<void> | undefined;

  if (options.parseBodies === false && options.bodyLimit !== undefined) {
    throw new Error(`${options.name}: bodyLimit applies to parsed bodies, and parseBodies is false`);
  }

  const router = new Router<ServiceState>();
  // Every route refuses a query string unless it declares acceptsQuery (see query-guard.ts).
  const routes = guardQueries(router);
  registerHealthRoutes(routes, {
    readiness: options.readiness ?? [],
    liveness: options.liveness ?? [],
    readinessTimeoutMs: options.readinessTimeoutMs ?? 2000,
    isShuttingDown: () => shuttingDown,
  });
  options.routes(routes);

  const app = new Koa<ServiceState>();
  app.silent = true; // errorHandler answers and logs every request error
  app.on('error', (error: unknown) => log.error({ err: error }, 'koa error'));
  app.use(requestId(log));
  app.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      // Checked when the response is ready: a request in flight when stop() began must close its
      // keep-alive connection too, or the drain would wait for the idle timeout.
      if (shuttingDown) ctx.set('Connection', 'close');
    }
  });
  app.use(accessLog());
  app.use(errorHandler());
  if (options.parseBodies !== false) {
    // JSON only: form parsing (qs) would turn `id[$ne]=1` into an object.
    app.use(
      bodyParser({
        enableTypes: ['json'],
        parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
        jsonLimit: options.bodyLimit ?? '64kb',
        jsonStrict: true,
      }),
    );
  }
  for (const middleware of options.middleware ?? []) app.use(middleware);
  app.use(router.routes());
  app.use(router.allowedMethods());

  async function start(): Promise<{ port: number }> {
    if (server) throw new Error(`${options.name} is already started`);
    const listening = createServer(app.callback());
    listening.keepAliveTimeout = options.keepAliveTimeoutMs ?? 95_000;
    drain = new ConnectionDrain(listening);
    server = listening;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(options.port, options.host ?? '0.0.0.0', () => {
        listening.off('error', reject);
        resolve();
      });
    });
    const { port } = listening.address() as AddressInfo;
    // The runtime's version in the start-up line (and as nodejs_version_info on /metrics).
    log.info({ port, host: options.host ?? '0.0.0.0', node: process.version }, 'listening');
    return { port };
  }

  async function drainAndRunHooks(): Promise<void> {
    shuttingDown = true;
    await drainHooks.runAll().catch(() => undefined); // each failure is logged; the drain goes on
    if (server?.listening) {
      log.info('draining connections');
      await closeServer(server, drain!);
    }
    await hooks.runAll();
    log.info('stopped');
  }

  function stop(): Promise<void> {
    stopping ??= drainAndRunHooks();
    return stopping;
  }

  return {
    app,
    start,
    stop,
    onShutdown: (name, hook) => hooks.add(name, hook),
    onDrain: (name, hook) => drainHooks.add(name, hook),
    installSignalHandlers: () => installSignalHandlers(stop, shutdownTimeoutMs, log),
  };
}
