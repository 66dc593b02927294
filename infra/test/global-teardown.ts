import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { clusterDown, clusterProcessesRunning, clusterStartedBy } from '../src/cluster/cluster';
import { down } from '../src/infra';
import { removeTestResources } from './cleanup';
import { namesFile, startedFile, type StartedBySuite } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  if (existsSync(namesFile)) {
    const names = readFileSync(namesFile, 'utf8').split('\n').filter(Boolean);
    rmSync(namesFile, { force: true });
    await removeTestResources(names).catch((error: unknown) => console.warn(`could not remove the test run's topics and databases: ${String(error)}`));
  }
  if (!existsSync(startedFile)) return;
  const started = JSON.parse(readFileSync(startedFile, 'utf8')) as StartedBySuite;
  rmSync(startedFile, { force: true });
  if (process.env.EVENTLINE_KEEP_INFRA === '1') {
    // The suite's next jest run (scripts/test.sh) stops what this one started.
    if (process.env.EVENTLINE_SUITE_STATE) writeFileSync(process.env.EVENTLINE_SUITE_STATE, JSON.stringify(started));
    return;
  }
  // Only a node this run started: another run on the machine may have started one meanwhile.
  if (started.clusterWasDown && clusterProcessesRunning().length > 0 && clusterStartedBy() === String(process.pid)) {
    const { left } = await clusterDown();
    if (left.length > 0) console.warn(`the Kubernetes node the suite started left processes behind: ${left.join(', ')}`);
  }
  if (started.infra.length > 0) await down(started.infra);
}
