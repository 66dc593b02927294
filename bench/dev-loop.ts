import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNodeBase } from '../infra/src/cluster/base-images';
import { clusterStatus, clusterUp } from '../infra/src/cluster/cluster';
import { startDevLoop, type DevLoop } from '../infra/src/cluster/dev-loop';
import { portForward } from '../k8s/test/integration/kube';
import { formatNumber, median, printMatrix } from './lib/table';

/**
 * The developer loop on the local cluster, side by side in one run: `skaffold dev -p local,dev`
 * (file sync into the running container, a watch build there, the process restarting on it) against
 * `skaffold dev -p local` (the reference: an image rebuilt, pushed and rolled out per edit), for the
 * same edits of config-service (which runs without Kafka or a database):
 *   - first `skaffold dev` to the pod Ready (images cached after the first run of each);
 *   - a one-line edit of the service's source → the new code answering;
 *   - the same for a package's source (packages/http);
 *   - an edit of the service's package.json (a dependency change: an image rebuild in both).
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const seconds = (from: number) => (Date.now() - from) / 1000;

async function get(namespace: string, path: string): Promise<string | undefined> {
  const forward = await portForward(namespace, 'deploy/config-service', 8080).catch(() => undefined);
  if (!forward) return undefined;
  try {
    return await (await fetch(`http://127.0.0.1:${forward.port}${path}`)).text();
  } catch {
    return undefined;
  } finally {
    await forward.stop();
  }
}

async function answers(loop: DevLoop, path: string, contains: string, timeoutMs = 900_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await get(loop.namespace, path))?.includes(contains)) {
    if (Date.now() > deadline) throw new Error(`${path} never answered with ${contains}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function measure(profiles: string[]): Promise<Record<string, number[]>> {
  const dir = mkdtempSync(join(tmpdir(), 'eventline-bench-dev-'));
  const namespace = `eventline-bench-dev-${randomBytes(3).toString('hex')}`;
  const started = Date.now();
  const loop = await startDevLoop({ dir, namespace, service: 'config-service', profiles, timeoutMs: 900_000 });
  await answers(loop, '/healthz', 'ok');
  const figures: Record<string, number[]> = {
    'first deploy to Ready': [seconds(started)],
    'service source edit': [],
    'package source edit': [],
    'dependency edit (package.json)': [],
  };
  try {
    for (let run = 0; run < RUNS; run++) {
      const mark = `edited-${run}-${randomBytes(2).toString('hex')}`;
      loop.edit('services/config-service/src/routes.ts', (text) => text.replace(/no configuration[^"]* for service/, `no configuration ${mark} for service`));
      let from = Date.now();
      await answers(loop, '/config/nobody', mark);
      figures['service source edit']!.push(seconds(from));
      loop.edit('packages/http/src/health.ts', (text) => text.replace(/\{ status: 'ok'(, mark: '[^']*')? \}/, `{ status: 'ok', mark: '${mark}' }`));
      from = Date.now();
      await answers(loop, '/healthz', mark);
      figures['package source edit']!.push(seconds(from));
    }
    // A dependency edit rebuilds the image and rolls the Deployment out again in both loops: done once
    // skaffold has built and redeployed after the edit and the service answers.
    const mark = loop.output().length;
    const redeployed = () => /Build \[[^\]]+\] succeeded[\s\S]*Deployments stabilized/.test(loop.output().slice(mark));
    loop.edit('services/config-service/package.json', (text) => text.replace(/"description": "/, `"description": "(${randomBytes(2).toString('hex')}) `));
    const from = Date.now();
    while (!redeployed() || !(await get(namespace, '/healthz'))?.includes('ok')) await new Promise((resolve) => setTimeout(resolve, 500));
    figures['dependency edit (package.json)']!.push(seconds(from));
  } finally {
    await loop.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

async function main(): Promise<void> {
  if ((await clusterStatus()).rows.some((r) => r.health !== 'healthy')) await clusterUp();
  await ensureNodeBase();
  const sync = await measure(['local', 'dev']);
  const rebuild = await measure(['local']);
  const cell = (runs: number[] | undefined) => (runs && runs.length > 0 ? `${formatNumber(median(runs))} s (${runs.map(formatNumber).join(', ')})` : '—');
  printMatrix(
    `The developer loop, config-service on the local cluster (median of ${RUNS} edits; runs in brackets)`,
    ['step', 'skaffold dev -p local,dev (sync)', 'skaffold dev -p local (rebuild)'],
    Object.keys(sync).map((step) => [step, cell(sync[step]), cell(rebuild[step])]),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
