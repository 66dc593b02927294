import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { kubeToolPaths } from '../kube-tools';
import { runningPid, start, waitFor } from '../processes';
import type { Component } from '../component';
import { clusterBinaryPaths } from './binaries';
import { getStatus } from './http-check';
import { paths } from './node-config';
import { frontProxyClientName, pki, tokenOf } from './pki';
import { clusterPorts, clusterVersions, network, nodeName, processName, registryHost, runRoot, sockets } from './settings';

/**
 * The node's processes, in start order; each is an infra Component (pid file and log under the
 * state dir, `cluster-<name>`), so `down` stops exactly what `up` started. The node IP is decided
 * at `up` (see host.ts) and given to the components that listen on it.
 */
let currentNodeIp = '127.0.0.1';
export const setNodeIp = (ip: string): void => {
  currentNodeIp = ip;
};
export const apiServerUrl = (): string => `https://${currentNodeIp}:${clusterPorts.apiServer}`;

function component(
  name: string,
  version: string,
  address: () => string,
  ports: number[],
  body: {
    start(): void;
    healthy(): Promise<boolean>;
    timeoutMs?: number;
    stopSignal?: NodeJS.Signals;
  },
): Component {
  const pname = processName(name);
  const c: Component = {
    name,
    version,
    get address() {
      return address();
    },
    ports,
    install() {},
    start: body.start,
    isRunning: () => runningPid(pname) !== undefined,
    healthy: body.healthy,
    waitHealthy: () => waitFor(name, body.healthy, body.timeoutMs ?? 90_000, pname),
    stopSignal: body.stopSignal,
  };
  return c;
}

const succeeds = (command: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  Promise.resolve(spawnSync(command, args, { stdio: 'ignore', env, timeout: 10_000 }).status === 0);

export const dockerEnv = { ...process.env, DOCKER_HOST: `unix://${sockets.docker}`, DOCKER_BUILDKIT: '0' };

const containerd = component('containerd', `containerd (Debian) + runc`, () => sockets.containerd, [], {
  start() {
    mkdirSync(paths.containerdState, { recursive: true });
    start({ name: processName('containerd'), command: 'containerd', args: ['--config', paths.containerdConfig] });
  },
  healthy: () => succeeds('ctr', ['--address', sockets.containerd, 'version']),
});

const registry = component('registry', 'docker-registry (Debian)', () => `http://${registryHost}`, [clusterPorts.registry], {
  start() {
    start({ name: processName('registry'), command: 'docker-registry', args: ['serve', paths.registryConfig] });
  },
  healthy: async () => (await getStatus(`http://${registryHost}/v2/`)) === 200,
});

/**
 * dockerd only builds images (the legacy builder) and pushes them to the registry. It touches no
 * iptables and makes no bridge: builds run with `--network host`, so nothing of Docker's sets the
 * FORWARD policy to DROP under the pods.
 */
const dockerd = component('dockerd', 'dockerd (Debian docker.io), images only', () => sockets.docker, [], {
  start() {
    mkdirSync(paths.dockerExec, { recursive: true });
    start({
      name: processName('dockerd'),
      command: 'dockerd',
      args: [
        `--host=unix://${sockets.docker}`,
        `--exec-root=${paths.dockerExec}`,
        `--pidfile=${runRoot}/dockerd.pid`,
        `--containerd=${sockets.containerd}`,
        '--iptables=false',
        '--ip-forward=false',
        '--ip-masq=false',
        '--bridge=none',
        // Lowering our own OOM score needs CAP_SYS_RESOURCE, which this VM lacks.
        '--oom-score-adjust=0',
        `--data-root=${paths.dockerData}`,
      ],
    });
  },
  healthy: () => succeeds('docker', ['version'], dockerEnv),
});

const etcd = component('etcd', `etcd ${clusterVersions.etcd}`, () => `http://127.0.0.1:${clusterPorts.etcdClient}`, [clusterPorts.etcdClient, clusterPorts.etcdPeer], {
  start() {
    const client = `http://127.0.0.1:${clusterPorts.etcdClient}`;
    const peer = `http://127.0.0.1:${clusterPorts.etcdPeer}`;
    start({
      name: processName('etcd'),
      command: kubeToolPaths().etcd,
      args: [
        '--name',
        'eventline',
        '--listen-client-urls',
        client,
        '--advertise-client-urls',
        client,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `eventline=${peer}`,
        '--listen-metrics-urls',
        '',
        `--data-dir=${paths.etcdData}`,
      ],
    });
  },
  healthy: async () => (await getStatus(`http://127.0.0.1:${clusterPorts.etcdClient}/health`)) === 200,
});

const apiServer = component('kube-apiserver', `Kubernetes ${clusterVersions.kubernetes}`, apiServerUrl, [clusterPorts.apiServer], {
  start() {
    start({
      name: processName('kube-apiserver'),
      command: kubeToolPaths().kubeApiserver,
      args: [
        `--etcd-servers=http://127.0.0.1:${clusterPorts.etcdClient}`,
        `--bind-address=${currentNodeIp}`,
        `--advertise-address=${currentNodeIp}`,
        `--secure-port=${clusterPorts.apiServer}`,
        `--tls-cert-file=${pki.apiServerCert}`,
        `--tls-private-key-file=${pki.apiServerKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--service-cluster-ip-range=${network.serviceCidr}`,
        `--service-account-issuer=https://kubernetes.default.svc.${network.clusterDomain}`,
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        '--allow-privileged=true',
        `--kubelet-client-certificate=${pki.kubeletClientCert}`,
        `--kubelet-client-key=${pki.kubeletClientKey}`,
        '--kubelet-preferred-address-types=InternalIP',
        `--token-auth-file=${pki.tokens}`,
        // The aggregation layer, for metrics-server's metrics.k8s.io (the HPAs' CPU): the API server
        // proxies to it with the front-proxy client certificate and the caller in these headers,
        // straight to the endpoints of its Service.
        `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
        `--requestheader-allowed-names=${frontProxyClientName}`,
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
        `--proxy-client-key-file=${pki.frontProxyClientKey}`,
        '--enable-aggregator-routing=true',
      ],
    });
  },
  healthy: async () => (await getStatus(`${apiServerUrl()}/readyz`, { ca: pki.caCert, token: tokenOf('admin') })) === 200,
  timeoutMs: 120_000,
});

const controllerManager = component(
  'kube-controller-manager',
  `Kubernetes ${clusterVersions.kubernetes}`,
  () => `https://127.0.0.1:${clusterPorts.controllerManager}`,
  [clusterPorts.controllerManager],
  {
    start() {
      const kc = paths.controllerManagerKubeconfig;
      start({
        name: processName('kube-controller-manager'),
        command: clusterBinaryPaths().kubeControllerManager,
        args: [
          // No node IPAM: the CNI bridge hands out the node's pod range itself.
          '--controllers=*,-nodeipam',
          '--leader-elect=false',
          '--bind-address=127.0.0.1',
          `--cluster-cidr=${network.podCidr}`,
          `--service-cluster-ip-range=${network.serviceCidr}`,
          `--service-account-private-key-file=${pki.serviceAccountKey}`,
          `--root-ca-file=${pki.caCert}`,
          '--use-service-account-credentials=true',
          `--cluster-signing-cert-file=${pki.caCert}`,
          `--cluster-signing-key-file=${pki.caKey}`,
          `--authentication-kubeconfig=${kc}`,
          `--authorization-kubeconfig=${kc}`,
          `--kubeconfig=${kc}`,
        ],
      });
    },
    healthy: async () => (await getStatus(`https://127.0.0.1:${clusterPorts.controllerManager}/healthz`)) === 200,
  },
);

const scheduler = component('kube-scheduler', `Kubernetes ${clusterVersions.kubernetes}`, () => `https://127.0.0.1:${clusterPorts.scheduler}`, [clusterPorts.scheduler], {
  start() {
    const kc = paths.schedulerKubeconfig;
    start({
      name: processName('kube-scheduler'),
      command: clusterBinaryPaths().kubeScheduler,
      args: ['--leader-elect=false', '--bind-address=127.0.0.1', `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`, `--kubeconfig=${kc}`],
    });
  },
  healthy: async () => (await getStatus(`https://127.0.0.1:${clusterPorts.scheduler}/healthz`)) === 200,
});

const kubelet = component(
  'kubelet',
  `Kubernetes ${clusterVersions.kubernetes} (cgroup v1, cgroupfs)`,
  () => `https://${currentNodeIp}:${clusterPorts.kubelet}`,
  [clusterPorts.kubelet, clusterPorts.kubeletHealthz],
  {
    start() {
      mkdirSync(paths.kubeletRoot, { recursive: true });
      start({
        name: processName('kubelet'),
        command: clusterBinaryPaths().kubelet,
        args: [
          `--hostname-override=${nodeName}`,
          `--node-ip=${currentNodeIp}`,
          `--root-dir=${paths.kubeletRoot}`,
          `--kubeconfig=${paths.kubeletKubeconfig}`,
          `--config=${paths.kubeletConfig}`,
        ],
      });
    },
    healthy: async () => (await getStatus(`http://127.0.0.1:${clusterPorts.kubeletHealthz}/healthz`)) === 200,
  },
);

const kubeProxy = component(
  'kube-proxy',
  `Kubernetes ${clusterVersions.kubernetes} (iptables)`,
  () => `http://127.0.0.1:${clusterPorts.kubeProxyHealthz}`,
  [clusterPorts.kubeProxyHealthz, clusterPorts.kubeProxyMetrics],
  {
    start() {
      start({
        name: processName('kube-proxy'),
        command: clusterBinaryPaths().kubeProxy,
        args: [
          '--proxy-mode=iptables',
          `--hostname-override=${nodeName}`,
          `--cluster-cidr=${network.podCidr}`,
          `--healthz-bind-address=127.0.0.1:${clusterPorts.kubeProxyHealthz}`,
          `--metrics-bind-address=127.0.0.1:${clusterPorts.kubeProxyMetrics}`,
          // Leave the host's conntrack table size alone (the VM may refuse the sysctl).
          '--conntrack-max-per-core=0',
          `--kubeconfig=${paths.kubeProxyKubeconfig}`,
        ],
      });
    },
    healthy: async () => (await getStatus(`http://127.0.0.1:${clusterPorts.kubeProxyHealthz}/healthz`)) === 200,
  },
);

/** In start order; `down` stops them in reverse. */
export const clusterComponents: Component[] = [containerd, registry, dockerd, etcd, apiServer, controllerManager, scheduler, kubelet, kubeProxy];
