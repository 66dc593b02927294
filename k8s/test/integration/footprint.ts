import { containerSamples, parseQuantity, type ContainerSample } from '@eventline/testkit';
import { kubectl } from './kube';

/**
 * What a release's containers use, from the kubelet's resource metrics (the source metrics-server
 * reads), beside what their pod specs request and limit.
 */

export interface FootprintRow {
  pod: string;
  app: string;
  container: string;
  requestBytes?: number;
  limitBytes?: number;
  peakBytes: number;
  /** Mean CPU over the sampled span, in cores. */
  cpuCores: number;
}

interface PodSpecItem {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { containers: { name: string; resources?: { requests?: { memory?: string }; limits?: { memory?: string } } }[] };
}

/** The node's container samples of one namespace, now. */
export function sampleNamespace(namespace: string): ContainerSample[] {
  const node = kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}']);
  return containerSamples(kubectl(['get', '--raw', `/api/v1/nodes/${node}/proxy/metrics/resource`])).filter((s) => s.namespace === namespace);
}

/** Samples taken over a span: each container's peak working set and mean CPU, with its spec's memory request and limit. */
export function footprint(namespace: string, samples: ContainerSample[][], spanSeconds: number): FootprintRow[] {
  const pods = (JSON.parse(kubectl(['-n', namespace, 'get', 'pods', '-o', 'json'])) as { items: PodSpecItem[] }).items;
  const key = (s: { pod: string; container: string }) => `${s.pod}/${s.container}`;
  const rows: FootprintRow[] = [];
  for (const pod of pods) {
    for (const container of pod.spec.containers) {
      const k = key({ pod: pod.metadata.name, container: container.name });
      const seen = samples.flatMap((round) => round.filter((s) => key(s) === k && s.workingSetBytes !== undefined));
      if (seen.length === 0) continue;
      const cpu = seen.map((s) => s.cpuSeconds).filter((c): c is number => c !== undefined);
      const memory = container.resources;
      rows.push({
        pod: pod.metadata.name,
        app: pod.metadata.labels?.['app.kubernetes.io/name'] ?? pod.metadata.labels?.['strimzi.io/name'] ?? pod.metadata.name,
        container: container.name,
        requestBytes: memory?.requests?.memory ? parseQuantity(memory.requests.memory) : undefined,
        limitBytes: memory?.limits?.memory ? parseQuantity(memory.limits.memory) : undefined,
        peakBytes: Math.max(...seen.map((s) => s.workingSetBytes!)),
        cpuCores: cpuSecondsUsed(cpu) / spanSeconds,
      });
    }
  }
  return rows;
}

/** CPU seconds a container used between its first and last sample; a counter that went back means the container restarted and counted from zero again. */
function cpuSecondsUsed(counters: number[]): number {
  let used = 0;
  for (let i = 1; i < counters.length; i++) used += counters[i]! >= counters[i - 1]! ? counters[i]! - counters[i - 1]! : counters[i]!;
  return used;
}

const mib = (bytes?: number) => (bytes === undefined ? '-' : `${Math.round(bytes / 2 ** 20)}`);

export function formatFootprint(rows: FootprintRow[]): string {
  const lines = rows
    .sort((a, b) => a.pod.localeCompare(b.pod))
    .map(
      (r) =>
        `${`${r.pod}/${r.container}`.padEnd(72)} ${mib(r.requestBytes).padStart(8)} ${mib(r.limitBytes).padStart(8)} ${mib(r.peakBytes).padStart(9)} ${r.cpuCores.toFixed(3).padStart(7)}`,
    );
  const total = rows.reduce((sum, r) => sum + r.peakBytes, 0);
  return [
    `${'pod/container'.padEnd(72)} ${'req MiB'.padStart(8)} ${'lim MiB'.padStart(8)} ${'peak MiB'.padStart(9)} ${'cores'.padStart(7)}`,
    ...lines,
    `${'all containers of the release'.padEnd(72)} ${''.padStart(8)} ${''.padStart(8)} ${mib(total).padStart(9)}`,
  ].join('\n');
}
