import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { RemoteConfig } from '@eventline/config';
import { createLogger } from '@eventline/observability';
import { startTestApiServer, startTsProcess } from '@eventline/testkit';
import { formatNumber, percentile } from './lib/table';

/**
 * Settings propagation on a real kube-apiserver + etcd: from a ConfigMap PATCH being sent to the
 * API server to each watching client (the kit's RemoteConfig, as every service runs it) holding the
 * new settings — informer → config-service's store → server-sent event → client. Fan-outs of 1, 50
 * and 200 clients on one config-service process; CHANGES sequential changes each.
 */
const CHANGES = Number(process.env.BENCH_CHANGES ?? 100);
const FANOUTS = (process.env.BENCH_FANOUTS ?? '1,50,200').split(',').map(Number);
const namespace = 'eventline';
const silent = createLogger('bench-config', 'silent');

async function main(): Promise<void> {
  const server = await startTestApiServer();
  const api = (method: string, path: string, body: unknown, contentType = 'application/json') =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}${path}`,
        {
          method,
          ca: readFileSync(server.caFile),
          headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': contentType },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await api('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'bench-config', labels: { 'eventline.dev/config-for': 'bench' } },
    data: { ROUND: '0' },
  });
  const configService = startTsProcess(join(__dirname, '..', 'services', 'config-service', 'src', 'main.ts'), {
    KUBECONFIG: server.kubeconfig,
    CONFIG_SOURCE: 'kubernetes',
    NAMESPACE: namespace,
    PORT: '0',
    LOG_LEVEL: 'info',
  });
  const port = (JSON.parse(await configService.waitForLine(/"msg":"config-service serving"/)) as { port: number }).port;

  const rows: string[] = [];
  let round = 0;
  for (const fanout of FANOUTS) {
    const clients = Array.from({ length: fanout }, () => new RemoteConfig({ baseUrl: `http://127.0.0.1:${port}`, service: 'bench', logger: silent }));
    // Per client: the round it waits for, and what to call when that round's settings arrive.
    const waiting = clients.map(() => ({ round: '', arrived: (_at: number): void => undefined }));
    for (const [i, client] of clients.entries()) {
      client.onChange((settings) => {
        if (settings.ROUND === waiting[i]!.round) waiting[i]!.arrived(performance.now());
      });
    }
    await Promise.all(clients.map((c) => c.start()));
    while (!clients.every((c) => c.isConnected())) await new Promise((r) => setTimeout(r, 20));
    const latencies: number[] = [];
    const patchMs: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      round++;
      const target = String(round);
      const arrived = waiting.map(
        (slot) =>
          new Promise<number>((resolve) => {
            slot.round = target;
            slot.arrived = resolve;
          }),
      );
      const sent = performance.now();
      const status = await api('PATCH', `/api/v1/namespaces/${namespace}/configmaps/bench-config`, { data: { ROUND: target } }, 'application/merge-patch+json');
      if (status !== 200) throw new Error(`PATCH answered ${status}`);
      patchMs.push(performance.now() - sent);
      for (const at of await Promise.all(arrived)) latencies.push(at - sent);
    }
    await Promise.all(clients.map((c) => c.stop()));
    rows.push(
      `| ${fanout} | ${CHANGES} | ${formatNumber(percentile(patchMs, 50))} | ${formatNumber(percentile(latencies, 50))} | ${formatNumber(percentile(latencies, 95))} | ${formatNumber(percentile(latencies, 99))} | ${formatNumber(Math.max(...latencies))} |`,
    );
  }
  await configService.kill('SIGTERM');
  await server.dispose();

  console.log(`\nSettings propagation, ConfigMap PATCH sent → each client holds the new settings (${cpus().length} cores, ${cpus()[0]?.model ?? ''})\n`);
  console.log('| watching clients | changes | PATCH round trip p50 ms | propagation p50 ms | p95 ms | p99 ms | max ms |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
