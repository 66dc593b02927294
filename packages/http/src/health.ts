import type { Router } from '@koa/router';
import { registry } from '@eventline/observability';
import type { ServiceState } from './state';

export interface ReadinessCheck {
  name: string;
  /** True when the dependency is usable. Throwing, or not answering in time, counts as false. */
  check: () => Promise<boolean> | boolean;
}

export interface LivenessCheck {
  name: string;
  /** False once the part is broken for good (a consumer that crashed and will not restart): the process should be replaced. */
  alive: () => boolean;
}

export interface HealthOptions {
  readiness: readonly ReadinessCheck[];
  liveness: readonly LivenessCheck[];
  readinessTimeoutMs: number;
  isShuttingDown: () => boolean;
}

/** Runs every check at once; each yields a plain boolean. */
export async function runReadinessChecks(checks: readonly ReadinessCheck[], timeoutMs: number): Promise<Record<string, boolean>> {
  const results = await Promise.all(checks.map((check) => passes(check, timeoutMs)));
  return Object.fromEntries(checks.map((check, index) => [check.name, results[index] === true]));
}

async function passes({ check }: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return (await Promise.race([Promise.resolve().then(check), timedOut])) === true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** GET /healthz (liveness), GET /readyz (readiness, 503 while shutting down) and GET /metrics. */
export function registerHealthRoutes(router: Router<ServiceState>, options: HealthOptions): void {
  router.get('/healthz', (ctx) => {
    const dead = options.liveness.filter((check) => !check.alive()).map((check) => check.name);
    ctx.status = dead.length === 0 ? 200 : 503;
    ctx.body = dead.length === 0 ? { status: 'ok' } : { status: 'failed', failed: dead };
  });

  router.get('/readyz', async (ctx) => {
    if (options.isShuttingDown()) {
      // Dependencies are being closed: do not touch them, just tell the load balancer to go away.
      ctx.status = 503;
      ctx.body = { status: 'not_ready', reason: 'shutting_down', checks: {} };
      return;
    }
    const checks = await runReadinessChecks(options.readiness, options.readinessTimeoutMs);
    const ready = Object.values(checks).every(Boolean);
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not_ready', checks };
  });

  router.get('/metrics', async (ctx) => {
    ctx.set('Content-Type', registry.contentType);
    ctx.body = await registry.metrics();
  });
}
