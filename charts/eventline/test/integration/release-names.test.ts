import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubeTools, runToolOk } from '@eventline/testkit';

const chart = join(__dirname, '..', '..');
const environments = ['kind', 'staging'] as const;
type Environment = (typeof environments)[number];

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
}

function render(release: string, env: Environment): K8sObject[] {
  const manifest = runToolOk(kubeTools().helm, ['template', release, chart, '-f', join(chart, `values-${env}.yaml`), '--namespace', 'shared']);
  return parseAllDocuments(manifest)
    .map((doc) => doc.toJS() as K8sObject)
    .filter((o) => o?.kind);
}

const workloads = (objects: K8sObject[]) => objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
const podSpec = (o: K8sObject) => o.spec.template.spec;
const envOf = (o: K8sObject) => podSpec(o).containers.flatMap((c: { env?: { name: string; value?: string; valueFrom?: any }[] }) => c.env ?? []);
const hostOf = (url: string) => new URL(url.replace(/^jdbc:/, '')).hostname;

/**
 * Every name one object uses to reach another of the release, as [kind it must be, name, where]:
 * Services behind URLs, Secrets, ConfigMaps, ServiceAccounts, the Kafka cluster, Roles, Gateways.
 */
function references(objects: K8sObject[]): [string, string, string][] {
  const refs: [string, string, string][] = [];
  for (const o of workloads(objects)) {
    const where = `${o.kind}/${o.metadata.name}`;
    const spec = podSpec(o);
    if (spec.serviceAccountName) refs.push(['ServiceAccount', spec.serviceAccountName, where]);
    if (o.kind === 'StatefulSet') refs.push(['Service', o.spec.serviceName, where]);
    for (const e of envOf(o)) {
      const secret = e.valueFrom?.secretKeyRef?.name;
      if (secret) refs.push(['Secret', secret, `${where} ${e.name}`]);
      if (!e.value) continue;
      if (['CONFIG_SERVICE_URL', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL', 'APICURIO_DATASOURCE_URL'].includes(e.name)) refs.push(['Service', hostOf(e.value), `${where} ${e.name}`]);
      if (e.name === 'PGHOST') refs.push(['Service', e.value, `${where} ${e.name}`]);
      if (e.name === 'KAFKA_BROKERS') refs.push(['Kafka', e.value.replace(/-kafka-bootstrap:\d+$/, ''), `${where} ${e.name}`]);
    }
    for (const v of spec.volumes ?? []) {
      if (v.configMap) refs.push(['ConfigMap', v.configMap.name, where]);
      if (v.secret)
        refs.push(
          v.secret.secretName.endsWith('-cluster-ca-cert') ? ['Kafka', v.secret.secretName.replace(/-cluster-ca-cert$/, ''), where] : ['Secret', v.secret.secretName, where],
        );
    }
  }
  for (const o of objects) {
    const where = `${o.kind}/${o.metadata.name}`;
    const cluster = o.metadata.labels?.['strimzi.io/cluster'];
    if (cluster) refs.push(['Kafka', cluster, where]);
    if (o.kind === 'HorizontalPodAutoscaler') refs.push([o.spec.scaleTargetRef.kind, o.spec.scaleTargetRef.name, where]);
    if (o.kind === 'RoleBinding') {
      refs.push(['Role', o.spec?.roleRef?.name ?? (o as any).roleRef.name, where]);
      for (const s of (o as any).subjects) refs.push(['ServiceAccount', s.name, where]);
    }
    if (o.kind === 'HTTPRoute') {
      for (const p of o.spec.parentRefs) refs.push(['Gateway', p.name, where]);
      for (const rule of o.spec.rules) for (const b of rule.backendRefs) refs.push(['Service', b.name, where]);
    }
    if (o.kind === 'NetworkPolicy') {
      for (const rule of o.spec.egress ?? []) {
        for (const to of rule.to ?? []) {
          const selected = to.podSelector?.matchLabels?.['strimzi.io/cluster'];
          if (selected) refs.push(['Kafka', selected, where]);
        }
      }
    }
  }
  return refs;
}

/** The Secrets a release does not make: Strimzi's (one per KafkaUser) and those values-staging says you provide. */
function providedSecrets(objects: K8sObject[], env: Environment): string[] {
  const strimzi = objects.filter((o) => o.kind === 'KafkaUser').map((o) => o.metadata.name);
  // Staging's external servers: their password, their CA (verify-full) and the Mongo URL, made by the platform team.
  return env === 'staging' ? [...strimzi, 'eventline-postgres', 'eventline-postgres-ca', 'eventline-mongo'] : strimzi;
}

describe.each(environments)('release-name-prefixed names with values-%s.yaml', (env) => {
  const eventline = render('eventline', env);
  const shop = render('shop', env);
  const external = env === 'staging' ? { Service: ['eventline-pg.staging.example.com', 'schema-registry.staging.example.com'] } : {};

  it('keeps the bare names for the release named eventline, the ones the seeds and port-forwards use', () => {
    const names = eventline.filter((o) => ['Service', 'Deployment'].includes(o.kind)).map((o) => o.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['user-service', 'cart-query', 'config-service']));
    expect(eventline.find((o) => o.kind === 'Kafka')?.metadata.name).toBe('eventline');
  });

  it("prefixes every object of any other release with the release's name", () => {
    const unprefixed = shop.filter((o) => !o.metadata.name.startsWith('shop-')).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(unprefixed).toEqual([]);
    expect(shop.length).toBe(eventline.length);
  });

  it('shares no object name with the eventline release, so both install into one namespace', () => {
    const taken = new Set(eventline.map((o) => `${o.kind}/${o.metadata.name}`));
    expect(shop.map((o) => `${o.kind}/${o.metadata.name}`).filter((key) => taken.has(key))).toEqual([]);
  });

  it.each(['eventline', 'shop'])('points every reference of release %s at an object of that release (or one it is given)', (release) => {
    const objects = release === 'shop' ? shop : eventline;
    const rendered = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
    const given = new Set([...providedSecrets(objects, env).map((name) => `Secret/${name}`), ...(external.Service ?? []).map((host) => `Service/${host}`)]);
    const refs = references(objects);
    expect(refs.length).toBeGreaterThan(50);
    const dangling = refs.filter(([kind, name]) => !rendered.has(`${kind}/${name}`) && !given.has(`${kind}/${name}`)).map(([kind, name, where]) => `${where} -> ${kind}/${name}`);
    expect(dangling).toEqual([]);
  });

  it('hands the operator its prefixed Lease (the one its Role may update), its release and its workload prefix', () => {
    const operator = shop.find((o) => o.kind === 'Deployment' && o.metadata.name === 'shop-operator')!;
    const env = Object.fromEntries(envOf(operator).map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ LEASE_NAME: 'shop-eventline-operator', RELEASE_NAME: 'shop', WORKLOAD_NAME_PREFIX: 'shop-', RELEASE_TAKES_UNLABELLED: 'true' });
    const role = shop.find((o) => o.kind === 'Role' && o.metadata.name === 'shop-operator') as unknown as { rules: { resources: string[]; resourceNames?: string[] }[] };
    expect(role.rules.find((r) => r.resources.includes('leases') && r.resourceNames)?.resourceNames).toEqual(['shop-eventline-operator']);
    const configService = shop.find((o) => o.kind === 'Deployment' && o.metadata.name === 'shop-config-service')!;
    expect(envOf(configService)).toContainEqual({ name: 'RELEASE_NAME', value: 'shop' });
  });
});
