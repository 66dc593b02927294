import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubeTools, runTool, runToolOk } from '@eventline/testkit';
import { loadRouteTable, type Route } from '../../../../services/gateway/src/routes';
import { matchPublicRoute } from '../../../../services/gateway/src/matcher';

/**
 * The chart's Gateway API objects (templates/gateway.yaml), rendered by helm: one Gateway, one
 * HTTPRoute per public backend with exactly the public routes of files/routes.json, and a choice of
 * route per request path that, under Gateway API's precedence, is the local gateway's choice.
 */
const repoRoot = join(__dirname, '..', '..', '..', '..');
const chart = join(repoRoot, 'charts', 'eventline');
const table = loadRouteTable(join(chart, 'files', 'routes.json'));
const valuesFiles = ['values.yaml', 'values-local.yaml', 'values-kind.yaml', 'values-staging.yaml'] as const;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: any;
}

interface PathMatch {
  type: 'Exact' | 'PathPrefix';
  value: string;
}
interface RenderedRule {
  match: PathMatch;
  service: string;
  port: number;
}

function render(valuesFile: string, extra: string[] = []): K8sObject[] {
  const manifest = runToolOk(kubeTools().helm, ['template', 'eventline', chart, '-f', join(chart, valuesFile), '--namespace', 'eventline', ...extra]);
  return parseAllDocuments(manifest)
    .map((d) => d.toJS() as K8sObject)
    .filter((o) => o?.kind);
}

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

function rulesOf(objects: K8sObject[]): RenderedRule[] {
  return ofKind(objects, 'HTTPRoute').flatMap((route) =>
    (route.spec.rules as { matches: { path: PathMatch }[]; backendRefs: { name: string; port: number }[] }[]).flatMap((rule) =>
      rule.matches.map((m) => {
        expect(rule.backendRefs).toHaveLength(1);
        return { match: m.path, service: rule.backendRefs[0]!.name, port: rule.backendRefs[0]!.port };
      }),
    ),
  );
}

/**
 * Gateway API's precedence among the rules of one Gateway: an Exact match first, then the
 * PathPrefix with the most characters; a PathPrefix matches whole path elements, a trailing `/`
 * of its value ignored.
 */
function gatewayApiChoice(rules: RenderedRule[], path: string): RenderedRule | undefined {
  const exact = rules.find((r) => r.match.type === 'Exact' && r.match.value === path);
  if (exact) return exact;
  const prefixes = rules.filter((r) => {
    if (r.match.type !== 'PathPrefix') return false;
    const prefix = r.match.value.replace(/\/+$/, '');
    return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
  });
  return prefixes.sort((a, b) => b.match.value.length - a.match.value.length)[0];
}

const publicRoutes = table.routes.filter((r) => r.public);
const expectedRule = (r: Route): RenderedRule => ({
  match: { type: r.match === 'exact' ? 'Exact' : 'PathPrefix', value: r.path },
  service: r.service,
  port: table.services[r.service]!.port,
});
const byPath = (a: RenderedRule, b: RenderedRule) => `${a.match.type} ${a.match.value}`.localeCompare(`${b.match.type} ${b.match.value}`);

/** Every route's path, and its neighbours: the path without its trailing `/`, one segment deeper, a longer sibling, a trailing `/` added. */
const samplePaths = [
  ...new Set(
    table.routes
      .flatMap((r) => {
        const bare = r.path.replace(/\/+$/, '');
        return [r.path, bare, `${bare}/`, `${bare}/123`, `${bare}2`, `${bare}/x/y`];
      })
      .concat(['/', '/nowhere', '/api', '/api/v1', '/api/v12', '/api/v1/add/', '/api/v1/addx', '/config', '/config/user-service']),
  ),
];

describe.each(valuesFiles)('the gateway of charts/eventline with %s', (valuesFile) => {
  const objects = render(valuesFile);
  const gateways = ofKind(objects, 'Gateway');
  const rules = rulesOf(objects);

  it('renders one Gateway of class traefik and no Ingress (ingress-nginx is retired)', () => {
    expect(gateways.map((g) => g.metadata.name)).toEqual(['eventline']);
    expect(gateways[0]!.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gateways[0]!.spec.gatewayClassName).toBe('traefik');
    expect(gateways[0]!.spec.listeners).toHaveLength(1);
    expect(ofKind(objects, 'Ingress')).toEqual([]);
  });

  it('has one HTTPRoute per public backend, attached to that listener, with exactly the public routes of routes.json', () => {
    const listener = gateways[0]!.spec.listeners[0].name as string;
    const routes = ofKind(objects, 'HTTPRoute');
    expect(routes.map((r) => r.metadata.name).sort()).toEqual([...new Set(publicRoutes.map((r) => r.service))].sort());
    for (const route of routes) {
      expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'eventline', sectionName: listener }]);
      for (const rule of route.spec.rules) expect(rule.backendRefs[0].name).toBe(route.metadata.name);
    }
    expect(rules.slice().sort(byPath)).toEqual(publicRoutes.map(expectedRule).sort(byPath));
    expect(rules.some((r) => r.match.value.startsWith('/config'))).toBe(false);
  });

  it('sends every sample path where the local gateway sends it (exact beats prefix, longest prefix wins, whole segments)', () => {
    const differences = samplePaths
      .map((path) => ({ path, gatewayApi: gatewayApiChoice(rules, path)?.service, local: matchPublicRoute(table.routes, path)?.service }))
      .filter((c) => c.gatewayApi !== c.local);
    expect(differences).toEqual([]);
    // The cases the precedence is about, spelled out.
    expect(gatewayApiChoice(rules, '/api/v1/add')?.service).toBe('cart-service');
    expect(gatewayApiChoice(rules, '/api/v1/add/')?.service).toBe('cart-query');
    expect(gatewayApiChoice(rules, '/api/v1/123')?.service).toBe('cart-query');
    expect(gatewayApiChoice(rules, '/api/v12')).toBeUndefined();
    expect(gatewayApiChoice(rules, '/config/user-service')).toBeUndefined();
  });

  it("lets the gateway controller's namespace, and no ingress controller, reach exactly the public services", () => {
    const admitted = (name: string) =>
      (
        (ofKind(objects, 'NetworkPolicy').find((p) => p.metadata.name === name)!.spec.ingress ?? []) as {
          from: { namespaceSelector?: { matchLabels: Record<string, string> } }[];
        }[]
      ).flatMap((rule) => rule.from.map((f) => f.namespaceSelector?.matchLabels['kubernetes.io/metadata.name']).filter(Boolean));
    for (const service of new Set(publicRoutes.map((r) => r.service))) {
      expect(admitted(service)).toContain('traefik');
      expect(admitted(service)).not.toContain('ingress-nginx');
    }
    for (const internal of ['config-service', 'cart-aggregator']) expect(admitted(internal)).not.toContain('traefik');
  });
});

describe('gateway values', () => {
  it('staging: HTTPS on one host name, TLS terminated with the staging certificate; routes bound to that host', () => {
    const objects = render('values-staging.yaml');
    const listener = ofKind(objects, 'Gateway')[0]!.spec.listeners[0];
    expect(listener).toEqual({
      name: 'https',
      protocol: 'HTTPS',
      port: 8443,
      hostname: 'eventline.staging.example.com',
      tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'eventline-staging-tls' }] },
      allowedRoutes: { namespaces: { from: 'Same' } },
    });
    for (const route of ofKind(objects, 'HTTPRoute')) expect(route.spec.hostnames).toEqual(['eventline.staging.example.com']);
  });

  it("local: plain HTTP on Traefik's web entryPoint (8000), any host", () => {
    const listener = ofKind(render('values-local.yaml'), 'Gateway')[0]!.spec.listeners[0];
    expect(listener).toEqual({ name: 'http', protocol: 'HTTP', port: 8000, allowedRoutes: { namespaces: { from: 'Same' } } });
    expect(ofKind(render('values-local.yaml'), 'HTTPRoute').every((r) => r.spec.hostnames === undefined)).toBe(true);
  });

  it('refuses TLS without a certificate Secret, and a Gateway without a class', () => {
    const helm = kubeTools().helm;
    const noSecret = runTool(helm, ['template', 'eventline', chart, '--set', 'gateway.tls.enabled=true']);
    expect(noSecret.status).not.toBe(0);
    expect(noSecret.stderr).toContain('gateway.tls.certificateSecrets');
    const noClass = runTool(helm, ['template', 'eventline', chart, '--set', 'gateway.className=']);
    expect(noClass.status).not.toBe(0);
    expect(noClass.stderr).toContain('gateway.className');
  });

  it("keeps the Ingress as an option: alone it admits the ingress controller's namespace; with the Gateway, both", () => {
    const admittedByUserService = (objects: K8sObject[]) =>
      (
        ofKind(objects, 'NetworkPolicy').find((p) => p.metadata.name === 'user-service')!.spec.ingress[0].from as { namespaceSelector: { matchLabels: Record<string, string> } }[]
      ).map((f) => f.namespaceSelector.matchLabels['kubernetes.io/metadata.name']);
    const ingressOnly = render('values.yaml', ['--set', 'gateway.enabled=false', '--set', 'ingress.enabled=true']);
    expect(ofKind(ingressOnly, 'Gateway')).toEqual([]);
    expect(ofKind(ingressOnly, 'HTTPRoute')).toEqual([]);
    expect(ofKind(ingressOnly, 'Ingress').map((i) => i.metadata.name)).toEqual(['eventline']);
    expect(admittedByUserService(ingressOnly)).toEqual(['ingress-nginx']);
    const both = render('values.yaml', ['--set', 'ingress.enabled=true']);
    expect(admittedByUserService(both)).toEqual(['traefik', 'ingress-nginx']);
    const neither = render('values.yaml', ['--set', 'gateway.enabled=false']);
    const userService = ofKind(neither, 'NetworkPolicy').find((p) => p.metadata.name === 'user-service')!;
    expect(userService.spec.ingress ?? []).toEqual([]);
  });
});
