import { connectionVerdict, podConnections, type Endpoint, type NetworkPolicy, type PolicyPod, type Verdict } from '@eventline/testkit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { services } from '../../../infra/src/cluster/service-images';
import { repoRoot } from '../../../infra/src/settings';
import { kubectl } from './kube';

/**
 * The TCP connections a release's pods hold right now, each with the verdict of every NetworkPolicy of
 * the cluster on it. Each pod's sockets are read from inside it (/proc/net/tcp{,6}, by the Node every
 * service image has); a connection to a Service's cluster IP is judged for each of the Service's
 * endpoints, as a policy sees the connection after kube-proxy's DNAT.
 */

export interface JudgedConnection {
  /** `namespace/app` of the opener, or its address when it is no pod (a node, the API server). */
  from: string;
  to: string;
  port: number;
  verdict: Verdict;
}

interface PodItem {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { hostNetwork?: boolean; containers: { name: string; ports?: { name?: string; containerPort: number }[] }[] };
  status: { phase: string; podIP?: string };
}

const list = <T>(args: string[]): T[] => (JSON.parse(kubectl([...args, '-o', 'json'])) as { items: T[] }).items;

const appOf = (pod: PolicyPod) => `${pod.namespace}/${pod.labels['app.kubernetes.io/name'] ?? pod.labels['strimzi.io/name'] ?? pod.name}`;

const describe = (endpoint: Endpoint) => (endpoint.pod ? appOf(endpoint.pod) : endpoint.ip);

/** Pod IP → pod (host-network pods share their node's address and are left out: that address is the node). */
function podsByIp(): Map<string, PolicyPod> {
  const byIp = new Map<string, PolicyPod>();
  for (const item of list<PodItem>(['get', 'pods', '--all-namespaces'])) {
    if (item.spec.hostNetwork || !item.status.podIP || item.status.phase !== 'Running') continue;
    const namedPorts = Object.fromEntries(item.spec.containers.flatMap((c) => (c.ports ?? []).filter((p) => p.name).map((p) => [p.name!, p.containerPort])));
    byIp.set(item.status.podIP, { name: item.metadata.name, namespace: item.metadata.namespace, labels: item.metadata.labels ?? {}, namedPorts });
  }
  return byIp;
}

/** `clusterIP:port` → the endpoints (address and target port) behind it, from the EndpointSlices. */
function serviceEndpoints(): Map<string, { ip: string; port: number }[]> {
  const services = list<{ metadata: { name: string; namespace: string }; spec: { clusterIP?: string; ports?: { name?: string; port: number }[] } }>([
    'get',
    'services',
    '--all-namespaces',
  ]);
  const slices = list<{
    metadata: { namespace: string; labels?: Record<string, string> };
    endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
    ports?: { name?: string; port: number }[];
  }>(['get', 'endpointslices', '--all-namespaces']);
  const byAddress = new Map<string, { ip: string; port: number }[]>();
  for (const service of services) {
    const clusterIp = service.spec.clusterIP;
    if (!clusterIp || clusterIp === 'None') continue;
    const own = slices.filter((s) => s.metadata.namespace === service.metadata.namespace && s.metadata.labels?.['kubernetes.io/service-name'] === service.metadata.name);
    for (const port of service.spec.ports ?? []) {
      const targets = own.flatMap((slice) => {
        const target = (slice.ports ?? []).find((p) => (p.name ?? '') === (port.name ?? ''));
        if (!target) return [];
        return (slice.endpoints ?? []).flatMap((e) => e.addresses.map((ip) => ({ ip, port: target.port })));
      });
      byAddress.set(`${clusterIp}:${port.port}`, targets);
    }
  }
  return byAddress;
}

/** The sockets of a pod, read by the Node of its first container. */
function socketsOf(namespace: string, pod: string): string[] {
  const script =
    "for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) { try { process.stdout.write(require('fs').readFileSync(f, 'utf8')); } catch {} process.stdout.write('\\n@@\\n'); }";
  return kubectl(['-n', namespace, 'exec', pod, '--', 'node', '-e', script]).split('\n@@\n');
}

/**
 * Every connection the selected pods of `namespace` hold, judged. Connections from a node's own address
 * (the kubelet's probes) are not judged: Kubernetes leaves traffic between a node and its pods to the
 * network plugin, and the common ones allow it.
 */
export function judgeLiveConnections(namespace: string, selector: string): { judged: JudgedConnection[]; fromNodes: number } {
  const byIp = podsByIp();
  const endpoints = serviceEndpoints();
  const policies = list<NetworkPolicy>(['get', 'networkpolicies', '--all-namespaces']);
  const namespaceLabels = new Map(
    list<{ metadata: { name: string; labels?: Record<string, string> } }>(['get', 'namespaces']).map((n) => [n.metadata.name, n.metadata.labels ?? {}]),
  );
  const selected = list<PodItem>(['-n', namespace, 'get', 'pods', '-l', selector, '--field-selector', 'status.phase=Running']);
  const seen = new Set<string>();
  const judged: JudgedConnection[] = [];
  let fromNodes = 0;
  const judge = (from: Endpoint, to: Endpoint, port: number) => {
    const key = `${from.ip}>${to.ip}:${port}`;
    if (seen.has(key)) return;
    seen.add(key);
    judged.push({ from: describe(from), to: describe(to), port, verdict: connectionVerdict(policies, namespaceLabels, { from, to, port }) });
  };
  for (const item of selected) {
    const ip = item.status.podIP;
    const self = ip ? byIp.get(ip) : undefined;
    if (!self || !ip) continue;
    const [tcp = '', tcp6 = ''] = socketsOf(namespace, item.metadata.name);
    for (const connection of podConnections(tcp, tcp6)) {
      if (connection.direction === 'outgoing') {
        const targets = endpoints.get(`${connection.remote.ip}:${connection.remote.port}`) ?? [connection.remote];
        for (const target of targets) judge({ ip, pod: self }, { ip: target.ip, pod: byIp.get(target.ip) }, target.port);
      } else {
        const source = byIp.get(connection.remote.ip);
        if (!source) {
          fromNodes += 1;
          continue;
        }
        judge({ ip: connection.remote.ip, pod: source }, { ip, pod: self }, connection.local.port);
      }
    }
  }
  return { judged, fromNodes };
}

/**
 * The connections of a release's service pods, judged: `traffic` runs twice, each time followed by a
 * read of every socket, so that short-lived connections (the Gateway's to each service) are caught too.
 * Keyed `from -> to:port`.
 */
export async function judgeReleaseConnections(namespace: string, traffic: () => Promise<void>): Promise<Map<string, JudgedConnection>> {
  const judged = new Map<string, JudgedConnection>();
  for (let sample = 0; sample < 2; sample += 1) {
    await traffic();
    for (const j of judgeLiveConnections(namespace, 'app.kubernetes.io/component=service').judged) judged.set(`${j.from} -> ${j.to}:${j.port}`, j);
  }
  return judged;
}

/** Each judged connection no policy allows, with both sides' verdicts: what a failed check prints. */
export const refusedConnections = (judged: Map<string, JudgedConnection>): string[] =>
  [...judged.entries()].filter(([, j]) => !j.verdict.allowed).map(([key, j]) => `${key} egress ${JSON.stringify(j.verdict.egress)} ingress ${JSON.stringify(j.verdict.ingress)}`);

/** Where a release's services reach their servers: `namespace/app` and port. */
export interface ReleasePeers {
  namespace: string;
  kafka: { at: string; port: number };
  postgres: string;
  mongo: string;
}

/** One call per public service, so that Traefik holds a connection to each when the sockets are read. */
export const policyCheckRequests = [
  ['GET', '/user-service/users/1'],
  ['GET', '/product-service/all'],
  ['GET', '/order-service/all'],
  ['POST', '/api/v1/add', { customerId: 'policy-check', itemId: '1', qty: 1 }],
  ['GET', '/api/v1/cart/policy-check'],
  ['GET', '/api/SOA/jobs/policy-check'],
] as const;

/**
 * The connections a release's services are known to hold while they serve: config-service from every
 * other service, Kafka from its clients, each datastore from its users, the API server from
 * config-service and the operator, and Traefik's to each public service (the chart's route table).
 */
export function knownConnections(peers: ReleasePeers): string[] {
  const ns = (app: string) => `${peers.namespace}/${app}`;
  const routeTable = JSON.parse(readFileSync(join(repoRoot, 'charts', 'eventline', 'files', 'routes.json'), 'utf8')) as {
    services: Record<string, { port: number }>;
    routes: { service: string; public?: boolean }[];
  };
  const portOf = (s: string) => routeTable.services[s]!.port;
  const publicServices = [...new Set(routeTable.routes.filter((r) => r.public !== false).map((r) => r.service))];
  const apiServer = apiServerEndpoint();
  return [
    ...services.filter((s) => s !== 'config-service').map((s) => `${ns(s)} -> ${ns('config-service')}:${portOf('config-service')}`),
    ...['cart-aggregator', 'cart-query', 'cart-service', 'fulfillment-service', 'order-service', 'product-service', 'user-service'].map(
      (s) => `${ns(s)} -> ${peers.kafka.at}:${peers.kafka.port}`,
    ),
    ...['cart-service', 'user-service'].map((s) => `${ns(s)} -> ${peers.postgres}:5432`),
    ...['cart-query', 'fulfillment-service', 'order-service'].map((s) => `${ns(s)} -> ${peers.mongo}:27017`),
    ...['config-service', 'operator'].map((s) => `${ns(s)} -> ${apiServer}`),
    ...publicServices.map((s) => `traefik/traefik -> ${ns(s)}:${portOf(s)}`),
  ];
}

/** The API server's address and port behind the `kubernetes` Service, as a pod's socket shows it. */
const apiServerEndpoint = (): string =>
  kubectl([
    '-n',
    'default',
    'get',
    'endpointslices',
    '-l',
    'kubernetes.io/service-name=kubernetes',
    '-o',
    'jsonpath={.items[0].endpoints[0].addresses[0]}:{.items[0].ports[0].port}',
  ]);
