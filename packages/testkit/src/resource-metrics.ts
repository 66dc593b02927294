/**
 * The kubelet's resource metrics (`/metrics/resource`, what metrics-server reads): each container's
 * working set and CPU time, from the Prometheus text format. And Kubernetes quantities ("384Mi",
 * "250m") as numbers, to set beside them.
 */

export interface ContainerSample {
  namespace: string;
  pod: string;
  container: string;
  workingSetBytes?: number;
  cpuSeconds?: number;
}

const SAMPLE = /^(container_memory_working_set_bytes|container_cpu_usage_seconds_total)\{([^}]*)\}\s+(\S+)/;

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[match[1]!] = match[2]!.replace(/\\(.)/g, '$1');
  return labels;
}

/** One sample per container: its working set (bytes) and its CPU time so far (seconds). */
export function containerSamples(metricsText: string): ContainerSample[] {
  const byContainer = new Map<string, ContainerSample>();
  for (const line of metricsText.split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const { namespace = '', pod = '', container = '' } = labelsOf(match[2]!);
    const key = `${namespace}/${pod}/${container}`;
    const sample = byContainer.get(key) ?? { namespace, pod, container };
    const value = Number(match[3]);
    if (match[1] === 'container_memory_working_set_bytes') sample.workingSetBytes = value;
    else sample.cpuSeconds = value;
    byContainer.set(key, sample);
  }
  return [...byContainer.values()];
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A Kubernetes quantity as a plain number: "384Mi" → bytes, "250m" → 0.25, "1.5G" → 1.5e9. */
export function parseQuantity(quantity: string): number {
  const match = /^([0-9.]+(?:e[+-]?\d+)?)([A-Za-z]*)$/.exec(quantity.trim());
  if (!match) throw new Error(`not a Kubernetes quantity: ${quantity}`);
  const [, number, suffix = ''] = match;
  const scale = BINARY[suffix] ?? DECIMAL[suffix];
  if (scale === undefined) throw new Error(`unknown quantity suffix "${suffix}" in ${quantity}`);
  return Number(number) * scale;
}
