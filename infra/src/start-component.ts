import { setTimeout as sleep } from 'node:timers/promises';
import type { Component } from './component';
import { portInUse } from './ports';
import { ExitedDuringStartup } from './processes';
import { log } from './shell';

/**
 * Starts `c` unless it runs, and waits until it is healthy. A process that ends during its start
 * is started again, `attempts - 1` times at most, as the kubelet restarts a static pod: each exit
 * is logged with its log's tail, and the last one is the error. Returns whether it started `c`.
 */
export async function startComponent(c: Component, attempts = 3, backoffMs = 2000): Promise<boolean> {
  if (c.isRunning()) {
    await c.waitHealthy();
    return false;
  }
  for (let attempt = 1; ; attempt++) {
    for (const port of c.ports) {
      if (await portInUse(port)) throw new Error(`port ${port} is taken by a process ${c.name} did not start`);
    }
    await c.start();
    try {
      await c.waitHealthy();
      return true;
    } catch (error) {
      if (!(error instanceof ExitedDuringStartup) || attempt >= attempts) throw error;
      log(`${c.name}: attempt ${attempt} of ${attempts} ended during start-up; starting it again in ${(attempt * backoffMs) / 1000} s. ${error.message}`);
      await sleep(attempt * backoffMs);
    }
  }
}
