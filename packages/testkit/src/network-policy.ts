/**
 * What a set of Kubernetes NetworkPolicies decides for one TCP connection, by the rules of the
 * networking.k8s.io/v1 API: a pod selected by no policy of a direction is not isolated in it; an
 * isolated pod's connection is allowed when some rule of a policy selecting it matches the peer and
 * the port. No enforcer runs on the test cluster (its kernel lacks what one needs), so the tests check
 * the connections the pods really make against the rules with this.
 */

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

export interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

export interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}

export interface NetworkPolicy {
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: LabelSelector;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: PolicyRule[];
    egress?: PolicyRule[];
  };
}

/** A pod as the policies see it: its namespace, labels and named container ports. */
export interface PolicyPod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  namedPorts?: Record<string, number>;
}

/** One end of a connection: an address, and the pod behind it when it is one (not a node or the API server). */
export interface Endpoint {
  ip: string;
  pod?: PolicyPod;
}

/** A TCP connection from its opener to the pod or address it reached, at the destination's port. */
export interface Connection {
  from: Endpoint;
  to: Endpoint;
  port: number;
}

/** One direction's decision: open (no policy isolates the pod) or the isolating policies that allow it. */
export type SideDecision = { isolated: false } | { isolated: true; allowedBy: string[] };

export interface Verdict {
  allowed: boolean;
  egress: SideDecision;
  ingress: SideDecision;
}

export function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const matches =
      operator === 'In'
        ? has && values.includes(labels[key]!)
        : operator === 'NotIn'
          ? !has || !values.includes(labels[key]!)
          : operator === 'Exists'
            ? has
            : operator === 'DoesNotExist'
              ? !has
              : false;
    if (!matches) return false;
  }
  return true;
}

function ipv4ToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [network, bits = '32'] = cidr.split('/');
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return (ipv4ToNumber(ip) & mask) >>> 0 === (ipv4ToNumber(network!) & mask) >>> 0;
}

/**
 * Whether a rule's peer is this endpoint. A podSelector alone means pods of the policy's own namespace;
 * a namespaceSelector, every pod of the namespaces it selects; both, the pods it selects in those.
 */
function peerMatches(peer: PolicyPeer, endpoint: Endpoint, policyNamespace: string, namespaceLabels: ReadonlyMap<string, Record<string, string>>): boolean {
  if (peer.ipBlock) {
    return inCidr(endpoint.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(endpoint.ip, c));
  }
  const pod = endpoint.pod;
  if (!pod) return false;
  if (peer.namespaceSelector) {
    if (!selects(peer.namespaceSelector, namespaceLabels.get(pod.namespace) ?? {})) return false;
  } else if (pod.namespace !== policyNamespace) {
    return false;
  }
  return peer.podSelector ? selects(peer.podSelector, pod.labels) : true;
}

/** Whether a rule's ports take this port of the destination (a named port is the destination pod's). */
function portMatches(ports: PolicyPort[] | undefined, port: number, destination: Endpoint): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== 'TCP') return false;
    if (p.port === undefined) return true;
    const number = typeof p.port === 'number' ? p.port : destination.pod?.namedPorts?.[p.port];
    if (number === undefined) return false;
    return p.endPort === undefined ? port === number : port >= number && port <= p.endPort;
  });
}

function appliesTo(policy: NetworkPolicy, direction: 'Ingress' | 'Egress'): boolean {
  const types = policy.spec.policyTypes ?? (policy.spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
  return types.includes(direction);
}

function decide(
  policies: readonly NetworkPolicy[],
  namespaceLabels: ReadonlyMap<string, Record<string, string>>,
  direction: 'Ingress' | 'Egress',
  connection: Connection,
): SideDecision {
  const [self, peer] = direction === 'Egress' ? [connection.from, connection.to] : [connection.to, connection.from];
  const pod = self.pod;
  if (!pod) return { isolated: false };
  const isolating = policies.filter((p) => p.metadata.namespace === pod.namespace && appliesTo(p, direction) && selects(p.spec.podSelector, pod.labels));
  if (isolating.length === 0) return { isolated: false };
  const allowedBy = isolating
    .filter((policy) =>
      ((direction === 'Egress' ? policy.spec.egress : policy.spec.ingress) ?? []).some((rule) => {
        const peers = direction === 'Egress' ? rule.to : rule.from;
        const peerAllowed = !peers || peers.length === 0 || peers.some((p) => peerMatches(p, peer, policy.metadata.namespace, namespaceLabels));
        return peerAllowed && portMatches(rule.ports, connection.port, connection.to);
      }),
    )
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
  return { isolated: true, allowedBy };
}

/** The policies' verdict on a connection: its opener's egress and its destination's ingress must both allow it. */
export function connectionVerdict(policies: readonly NetworkPolicy[], namespaceLabels: ReadonlyMap<string, Record<string, string>>, connection: Connection): Verdict {
  const egress = decide(policies, namespaceLabels, 'Egress', connection);
  const ingress = decide(policies, namespaceLabels, 'Ingress', connection);
  const open = (d: SideDecision) => !d.isolated || d.allowedBy.length > 0;
  return { allowed: open(egress) && open(ingress), egress, ingress };
}
