import { join } from 'node:path';
import { cacheDir, stateDir } from '../settings';
import { kubeVersions } from '../kube-tools';
import { projectNodeVersion, projectNpmVersion } from '../node-version';

/**
 * Where and how the single-node cluster of `npm run cluster` runs. It needs root (containers,
 * mounts, iptables), so its data lives under /var/lib/eventline/cluster (mounts under /root are
 * fine, but PostgreSQL's rule applies to pods too: keep it outside a home folder) and its runtime
 * sockets under /run/eventline. Logs and pid files are infra's (`$EVENTLINE_STATE/logs`, `run/`).
 */
export const clusterVersions = {
  kubernetes: kubeVersions.kubernetes,
  etcd: kubeVersions.etcd,
  coredns: '1.15.0',
  localPathProvisioner: '0.0.30',
  /** The resource metrics API the HorizontalPodAutoscalers read (v0.9.0 is served but not an approved release). */
  metricsServer: '0.8.0',
  /** The Node and npm the local Node base carries: the project's own (.nvmrc, packageManager). */
  node: projectNodeVersion(),
  npm: projectNpmVersion(),
  pause: '3.10',
  debian: 'bookworm',
  /**
   * The Gateway API controller: Traefik's newest v3 release whose whole module graph the Go proxy
   * serves (v3.7.x needs lego DNS providers and a go-http-auth fork version it refuses with 403).
   */
  traefik: '3.6.12',
  /** The Gateway API CRDs: the `sigs.k8s.io/gateway-api` version Traefik's go.mod requires. */
  gatewayApi: '1.4.0',
} as const;

export const nodeName = 'eventline-node';
export const dataRoot = process.env.EVENTLINE_CLUSTER_DATA ?? '/var/lib/eventline/cluster';
export const runRoot = '/run/eventline';
export const clusterStateDir = join(stateDir, 'cluster');
export const pkiDir = join(dataRoot, 'pki');
export const binCacheDir = join(cacheDir, 'cluster-bin');
export const imageCacheDir = join(cacheDir, 'cluster-images');
export const kubeconfigPath = join(cacheDir, 'cluster.kubeconfig');

/**
 * Address ranges clear of this machine's (192.0.2.0/24 on eth0, the resolver at 10.255.255.53) and
 * of Docker's and kind's defaults.
 */
export const network = {
  podCidr: '10.244.0.0/16',
  nodePodCidr: '10.244.0.0/24',
  serviceCidr: '10.96.0.0/16',
  apiServiceIp: '10.96.0.1',
  dnsServiceIp: '10.96.0.10',
  clusterDomain: 'cluster.local',
  bridge: 'eventline0',
} as const;

export const clusterPorts = {
  apiServer: Number(process.env.CLUSTER_API_PORT ?? 6443),
  etcdClient: Number(process.env.CLUSTER_ETCD_PORT ?? 2379),
  etcdPeer: Number(process.env.CLUSTER_ETCD_PEER_PORT ?? 2380),
  kubelet: 10250,
  kubeletHealthz: 10248,
  kubeProxyHealthz: 10256,
  kubeProxyMetrics: 10249,
  controllerManager: 10257,
  scheduler: 10259,
  /** Debian's docker-registry: dockerd pushes here, containerd pulls from here. */
  registry: Number(process.env.CLUSTER_REGISTRY_PORT ?? 5000),
};

export const registryHost = `127.0.0.1:${clusterPorts.registry}`;

export const sockets = {
  containerd: join(runRoot, 'containerd', 'containerd.sock'),
  docker: join(runRoot, 'docker.sock'),
};

/** Every process of the cluster, for infra's pid files and logs (`cluster-<name>`). */
export const processName = (name: string): string => `cluster-${name}`;
