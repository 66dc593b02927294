import type { Server } from 'node:http';
import type { ConnectionDrain } from './connection-drain';
import type { Logger } from '@eventline/observability';

export type ShutdownHook = () => Promise<void> | void;

/** Hooks run once, in reverse registration order: what started last (consumers) stops first (pools last). */
export class ShutdownHooks {
  private readonly hooks: Array<{ name: string; run: ShutdownHook }> = [];

  constructor(private readonly log: Logger) {}

  add(name: string, run: ShutdownHook): void {
    this.hooks.push({ name, run });
  }

  /** Runs every hook even when one fails; rejects afterwards if any failed. */
  async runAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const { name, run } of this.hooks.splice(0).reverse()) {
      try {
        await run();
        this.log.info({ hook: name }, 'shutdown hook done');
      } catch (error) {
        failures.push(error);
        this.log.error({ hook: name, err: error }, 'shutdown hook failed');
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} shutdown hook(s) failed`);
  }
}

/**
 * Stops accepting connections and resolves once the open ones are gone: idle ones close at once, busy
 * ones after their response (which the service marks `Connection: close` while shutting down).
 */
export function closeServer(server: Server, drain: ConnectionDrain): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    drain.closeIdle();
  });
}

/**
 * SIGTERM / SIGINT → stop() → exit 0. A stop that fails, or outlasts `timeoutMs`, exits 1 so that
 * the orchestrator sees the unclean stop. Later signals while stopping are ignored.
 */
export function installSignalHandlers(stop: () => Promise<void>, timeoutMs: number, log: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    stop().then(
      () => {
        clearTimeout(deadline);
        log.info('shut down');
        process.exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
