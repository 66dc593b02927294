import { connectionVerdict, inCidr, selects, type Endpoint, type NetworkPolicy } from '../../src/network-policy';

const namespaces = new Map<string, Record<string, string>>([
  ['shop', { 'kubernetes.io/metadata.name': 'shop' }],
  ['traefik', { 'kubernetes.io/metadata.name': 'traefik' }],
  ['monitoring', { 'kubernetes.io/metadata.name': 'monitoring', team: 'ops' }],
]);

const pod = (name: string, namespace: string, labels: Record<string, string>, ip: string, namedPorts?: Record<string, number>): Endpoint => ({
  ip,
  pod: { name, namespace, labels, namedPorts },
});

const cartService = pod('cart-service-1', 'shop', { 'app.kubernetes.io/name': 'cart-service', tier: 'service' }, '10.244.0.11', { http: 8093 });
const postgres = pod('postgres-0', 'shop', { 'app.kubernetes.io/name': 'postgres' }, '10.244.0.20');
const traefik = pod('traefik-1', 'traefik', { 'app.kubernetes.io/name': 'traefik' }, '10.244.0.30');
const scraper = pod('prometheus-0', 'monitoring', { app: 'prometheus' }, '10.244.0.40');
const apiServer: Endpoint = { ip: '192.0.2.2' };

const cartPolicy: NetworkPolicy = {
  metadata: { name: 'cart-service', namespace: 'shop' },
  spec: {
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cart-service' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } } }], ports: [{ protocol: 'TCP', port: 8093 }] },
      { from: [{ namespaceSelector: { matchLabels: { team: 'ops' } }, podSelector: { matchLabels: { app: 'prometheus' } } }], ports: [{ port: 'http' }] },
    ],
    egress: [
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } } }], ports: [{ port: 5432 }] },
      { to: [{ ipBlock: { cidr: '192.0.2.0/24', except: ['192.0.2.128/25'] } }], ports: [{ port: 6440, endPort: 6450 }] },
    ],
  },
};
const postgresPolicy: NetworkPolicy = {
  metadata: { name: 'postgres', namespace: 'shop' },
  spec: {
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } },
    ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['service'] }] } }], ports: [{ port: 5432 }] }],
  },
};
const policies = [cartPolicy, postgresPolicy];

describe('selects', () => {
  it('applies matchLabels and every matchExpressions operator', () => {
    const labels = { a: '1', b: '2' };
    expect(selects({}, labels)).toBe(true);
    expect(selects({ matchLabels: { a: '1' } }, labels)).toBe(true);
    expect(selects({ matchLabels: { a: '2' } }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'b', operator: 'In', values: ['2', '3'] }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'b', operator: 'NotIn', values: ['2'] }] }, labels)).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['2'] }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, labels)).toBe(false);
  });
});

describe('inCidr', () => {
  it('masks by the prefix', () => {
    expect(inCidr('10.244.3.7', '10.244.0.0/16')).toBe(true);
    expect(inCidr('10.245.3.7', '10.244.0.0/16')).toBe(false);
    expect(inCidr('192.0.2.2', '192.0.2.2/32')).toBe(true);
    expect(inCidr('8.8.8.8', '0.0.0.0/0')).toBe(true);
    expect(() => inCidr('10.0.0.1', '10.0.0.0/33')).toThrow('not an IPv4 CIDR');
  });
});

describe('connectionVerdict', () => {
  it('allows what both ends allow, and names the policies that do', () => {
    const verdict = connectionVerdict(policies, namespaces, { from: cartService, to: postgres, port: 5432 });
    expect(verdict).toEqual({
      allowed: true,
      egress: { isolated: true, allowedBy: ['shop/cart-service'] },
      ingress: { isolated: true, allowedBy: ['shop/postgres'] },
    });
  });

  it("refuses a port the opener's egress does not list", () => {
    const verdict = connectionVerdict(policies, namespaces, { from: cartService, to: postgres, port: 5433 });
    expect(verdict.allowed).toBe(false);
    expect(verdict.egress).toEqual({ isolated: true, allowedBy: [] });
  });

  it("refuses a peer the destination's ingress does not select, though the opener is not isolated", () => {
    const verdict = connectionVerdict(policies, namespaces, { from: traefik, to: postgres, port: 5432 });
    expect(verdict).toEqual({ allowed: false, egress: { isolated: false }, ingress: { isolated: true, allowedBy: [] } });
  });

  it('takes a podSelector alone to mean pods of the policy namespace only', () => {
    const elsewhere = pod('postgres-0', 'traefik', { 'app.kubernetes.io/name': 'postgres' }, '10.244.0.21');
    expect(connectionVerdict(policies, namespaces, { from: cartService, to: elsewhere, port: 5432 }).allowed).toBe(false);
  });

  it('matches namespaceSelector together with podSelector, and a named port on the destination pod', () => {
    expect(connectionVerdict(policies, namespaces, { from: scraper, to: cartService, port: 8093 }).allowed).toBe(true);
    const otherApp = pod('other-0', 'monitoring', { app: 'other' }, '10.244.0.41');
    expect(connectionVerdict(policies, namespaces, { from: otherApp, to: cartService, port: 8093 }).allowed).toBe(false);
    expect(connectionVerdict(policies, namespaces, { from: traefik, to: cartService, port: 8093 }).allowed).toBe(true);
  });

  it('matches an ipBlock with its except and a port range for an address that is no pod', () => {
    expect(connectionVerdict(policies, namespaces, { from: cartService, to: apiServer, port: 6443 }).allowed).toBe(true);
    expect(connectionVerdict(policies, namespaces, { from: cartService, to: apiServer, port: 6451 }).allowed).toBe(false);
    expect(connectionVerdict(policies, namespaces, { from: cartService, to: { ip: '192.0.2.200' }, port: 6443 }).allowed).toBe(false);
  });

  it('leaves a pod that no policy selects open, and reads policyTypes from the sections when absent', () => {
    expect(connectionVerdict(policies, namespaces, { from: traefik, to: scraper, port: 9090 })).toEqual({
      allowed: true,
      egress: { isolated: false },
      ingress: { isolated: false },
    });
    // postgres's policy names no policyTypes and has no egress section: its egress is open.
    expect(connectionVerdict(policies, namespaces, { from: postgres, to: traefik, port: 443 }).egress).toEqual({ isolated: false });
  });
});
