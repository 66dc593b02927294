import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Component } from '../component';
import { formatTable, type StatusRow } from '../infra';
import { ensureKubeTools } from '../kube-tools';
import { logFile, runningPid, stop } from '../processes';
import { startComponent } from '../start-component';
import { log } from '../shell';
import { applyAddons, kubectl, waitForAddons } from './addons';
import { ensureDebianBase } from './base-images';
import { clusterBinaryPaths, ensureClusterBinaries } from './binaries';
import { apiServerUrl, clusterComponents, setNodeIp } from './components';
import { ensureScratchImage } from './docker-images';
import { applySysctls, installDebianPackages, nodeIp, requireRoot, restoreSysctls } from './host';
import { paths, sandboxImage, writeKubeletConfig, writeNodeConfig } from './node-config';
import { ensurePki, writeKubeconfig } from './pki';
import { clusterStateDir, clusterVersions, kubeconfigPath, nodeName, processName } from './settings';
import { killContainers, sweep } from './teardown';
import { ensureTraefikBinary, ensureTraefikImage } from './traefik-image';
import { ensureStrimziBuild } from './strimzi-build';

/**
 * `npm run cluster -- up|down|status`: a single-node Kubernetes on this machine (see k8s/README.md).
 * Every step of `up` is timed; a failing step names itself and the log to read.
 */
export interface StepTime {
  step: string;
  seconds: number;
}

async function step<T>(name: string, logHint: string | undefined, times: StepTime[], body: () => T | Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    const result = await body();
    times.push({ step: name, seconds: Math.round((Date.now() - started) / 100) / 10 });
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cluster up: step "${name}" failed${logHint ? ` (log: ${logHint})` : ''}: ${message}`);
  }
}

function prepareNode(ip: string): void {
  setNodeIp(ip);
  ensurePki(ip);
  writeNodeConfig();
  writeKubeletConfig(ip);
  const server = apiServerUrl();
  writeKubeconfig(kubeconfigPath, 'admin', server);
  writeKubeconfig(paths.kubeletKubeconfig, 'kubelet', server);
  writeKubeconfig(paths.controllerManagerKubeconfig, 'controllerManager', server);
  writeKubeconfig(paths.schedulerKubeconfig, 'scheduler', server);
  writeKubeconfig(paths.kubeProxyKubeconfig, 'kubeProxy', server);
}

const byName = (name: string): Component => {
  const c = clusterComponents.find((x) => x.name === name);
  if (!c) throw new Error(`no cluster component ${name}`);
  return c;
};

/**
 * Who brought the node up: a test run's id (EVENTLINE_TEST_RUN, its jest process id, set by the global
 * setup) or another process. A test run's teardown takes down only a node its own run started, never
 * one that another run (or `npm run cluster -- up`) started meanwhile.
 */
const startedByFile = join(clusterStateDir, 'started-by');

export function clusterStartedBy(): string | undefined {
  return existsSync(startedByFile) ? readFileSync(startedByFile, 'utf8').trim() : undefined;
}

/** Idempotent: builds what is not cached, starts what is not running, waits for the node, DNS and storage. */
export async function clusterUp(): Promise<StepTime[]> {
  const times: StepTime[] = [];
  requireRoot();
  mkdirSync(clusterStateDir, { recursive: true });
  await step('Debian packages', undefined, times, installDebianPackages);
  // Maven mostly downloads and waits: it runs beside the Go builds below instead of after them
  // (cold, that is most of its ten minutes saved). Awaited, and named if it fails, at the end.
  const strimziStarted = Date.now();
  const strimziBuild = ensureStrimziBuild();
  strimziBuild.catch(() => undefined);
  await step('Kubernetes tools (infra kube-tools: kube-apiserver, etcd, kubectl, helm, skaffold)', '~/.cache/eventline/kube-tools', times, ensureKubeTools);
  await step(
    'cluster binaries (kubelet, controller-manager, scheduler, kube-proxy, CoreDNS, local-path, metrics-server, pause)',
    '~/.cache/eventline/cluster-bin/<binary>-<version>/build.log',
    times,
    ensureClusterBinaries,
  );
  const ip = nodeIp();
  await step('certificates, tokens and configuration', undefined, times, () => prepareNode(ip));
  await step('kernel settings (ip_forward, bridge-nf-call-iptables)', undefined, times, applySysctls);
  const started: string[] = [];
  const startNamed = async (names: string[]) => {
    for (const name of names) {
      if (await step(`start ${name}`, logFile(processName(name)), times, () => startComponent(byName(name)))) {
        if (started.length === 0) writeFileSync(startedByFile, process.env.EVENTLINE_TEST_RUN ?? `process ${process.pid}`);
        started.push(name);
      }
    }
  };
  await startNamed(['containerd', 'registry', 'dockerd']);
  const bins = clusterBinaryPaths();
  await step('image pause', '~/.cache/eventline/cluster-images/pause-*.log', times, () => ensureScratchImage('pause', clusterVersions.pause, bins.pause));
  await step('image coredns', '~/.cache/eventline/cluster-images/coredns-*.log', times, () => ensureScratchImage('coredns', clusterVersions.coredns, bins.coredns));
  await step('image local-path-provisioner', '~/.cache/eventline/cluster-images/local-path-provisioner-*.log', times, () =>
    ensureScratchImage('local-path-provisioner', clusterVersions.localPathProvisioner, bins.localPathProvisioner),
  );
  await step('image metrics-server', '~/.cache/eventline/cluster-images/metrics-server-*.log', times, () =>
    ensureScratchImage('metrics-server', clusterVersions.metricsServer, bins.metricsServer),
  );
  await step('image debian (mmdebstrap)', '~/.cache/eventline/cluster-images/debian-bookworm/build.log', times, ensureDebianBase);
  await step(`traefik ${clusterVersions.traefik} (Go build)`, `~/.cache/eventline/cluster-bin/traefik-${clusterVersions.traefik}/build.log`, times, ensureTraefikBinary);
  await step('image traefik', `~/.cache/eventline/cluster-images/traefik-${clusterVersions.traefik}.log`, times, ensureTraefikImage);
  await startNamed(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy']);
  await step('addons (CoreDNS, local-path StorageClass, metrics-server, Gateway API CRDs, Traefik and GatewayClass traefik)', undefined, times, applyAddons);
  await step('node Ready, CoreDNS, the provisioner, metrics-server and Traefik available', logFile(processName('kubelet')), times, waitForAddons);
  await step('Strimzi operator build (Maven, beside the steps above)', '~/.cache/eventline/strimzi/<build>/build.log', times, () => strimziBuild);
  log(`Strimzi's build took ${Math.round((Date.now() - strimziStarted) / 1000)} s from its start beside the other steps`);
  log(started.length > 0 ? `started: ${started.join(', ')}` : 'already running: nothing started');
  log(`kubeconfig: ${kubeconfigPath} (sandbox image ${sandboxImage})`);
  return times;
}

/** Stops every process of ours (pods first, so that the CNI plugins remove their rules), then sweeps what is left. */
export async function clusterDown(): Promise<{ stopped: string[]; left: string[] }> {
  requireRoot();
  const stopped: string[] = [];
  const stopNamed = async (name: string) => {
    const c = byName(name);
    if (await stop(processName(name), c.stopSignal ?? 'SIGTERM', 30_000)) stopped.push(name);
  };
  for (const name of ['kube-controller-manager', 'kube-scheduler']) await stopNamed(name);
  const kubeletRunning = runningPid(processName('kubelet')) !== undefined;
  if (kubeletRunning && runningPid(processName('kube-apiserver')) !== undefined && existsSync(kubeconfigPath)) {
    // The kubelet stops each sandbox through the CRI: the CNI plugins run their DEL (veth, IP, rules).
    try {
      kubectl(['delete', 'pods', '--all', '--all-namespaces', '--grace-period=10', '--timeout=90s', '--wait=true']);
    } catch (error) {
      log(`deleting the pods before stopping: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const name of ['kube-proxy', 'kubelet']) await stopNamed(name);
  killContainers();
  for (const name of ['kube-apiserver', 'etcd', 'dockerd', 'registry', 'containerd']) await stopNamed(name);
  const left = sweep();
  restoreSysctls();
  rmSync(startedByFile, { force: true });
  return { stopped, left };
}

/** The cluster's components that have a live process, without asking them anything. */
export function clusterProcessesRunning(): string[] {
  return clusterComponents.filter((c) => runningPid(processName(c.name)) !== undefined).map((c) => c.name);
}

export async function clusterStatus(): Promise<{ rows: StatusRow[]; node: string }> {
  setNodeIp(nodeIp());
  const rows = await Promise.all(
    clusterComponents.map(async (c) => {
      const pid = runningPid(processName(c.name));
      let health = 'stopped';
      if (pid !== undefined)
        health = await c.healthy().then(
          (ok) => (ok ? 'healthy' : 'unhealthy'),
          () => 'unhealthy',
        );
      return { name: c.name, version: c.version, address: c.address, pid: pid === undefined ? '-' : String(pid), health };
    }),
  );
  let node = 'no node';
  if (rows.find((r) => r.name === 'kube-apiserver')?.health === 'healthy') {
    try {
      node = kubectl(['get', 'node', nodeName, '-o', 'wide', '--no-headers']).trim();
    } catch (error) {
      node = error instanceof Error ? error.message : String(error);
    }
  }
  return { rows, node };
}

export { formatTable };
