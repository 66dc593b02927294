import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubeTools, runTool, runToolOk, startTestApiServer, type TestApiServer } from '@eventline/testkit';
import { gatewayApiCrdManifest } from '../../../../infra/src/cluster/gateway-api-crds';
import { readModels } from '../../../../services/operator/src/replay/read-models';

const repoRoot = join(__dirname, '..', '..', '..', '..');
const chart = join(repoRoot, 'charts', 'eventline');
const environments = ['kind', 'staging'] as const;
type Environment = (typeof environments)[number];
const valuesFile = (env: Environment) => join(chart, `values-${env}.yaml`);

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  rules?: any;
  automountServiceAccountToken?: boolean;
}

const catalog = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'topics.json'), 'utf8')) as { topics: { name: string; compacted: boolean }[] };
const routeTable = JSON.parse(readFileSync(join(chart, 'files', 'routes.json'), 'utf8')) as {
  routes: { path: string; match: 'exact' | 'prefix'; service: string; public?: boolean }[];
  services: Record<string, { port: number }>;
};
const serviceDirs = ['config-service', 'user-service', 'product-service', 'order-service', 'cart-service', 'cart-aggregator', 'cart-query', 'fulfillment-service', 'operator'];
/** Services with a ServiceAccount token: they talk to the Kubernetes API. */
const kubernetesApiUsers = ['config-service', 'operator'];
/** Services no request is routed to: only probes and Prometheus reach them. */
const unrequested = ['cart-aggregator', 'operator'];

function template(env: Environment, extra: string[] = []): string {
  return runToolOk(kubeTools().helm, ['template', 'eventline', chart, '-f', valuesFile(env), '--namespace', `eventline-${env}`, ...extra]);
}

/** Strict: a duplicate key (which helm lets through and stricter readers such as skaffold refuse) fails. */
function parse(manifest: string): K8sObject[] {
  const docs = parseAllDocuments(manifest);
  const errors = docs.flatMap((doc) => doc.errors.map((e) => e.message));
  if (errors.length > 0) throw new Error(`the rendered chart is not valid YAML: ${errors.join('; ')}`);
  return docs.map((doc) => doc.toJS() as K8sObject).filter((o) => o?.kind);
}

const isHook = (o: K8sObject) => Boolean(o.metadata.annotations?.['helm.sh/hook']);
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

describe.each(environments)('charts/eventline with values-%s.yaml', (env) => {
  const objects = parse(template(env));

  it('passes helm lint --strict', () => {
    const result = runTool(kubeTools().helm, ['lint', chart, '--strict', '-f', valuesFile(env)]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it('has a KafkaTopic per catalog topic and per .dlq twin, compacted exactly where the catalog says', () => {
    const topics = ofKind(objects, 'KafkaTopic');
    // And the operator's redrive ledger, compacted, no twin.
    const expected = [...catalog.topics.flatMap((t) => [t.name, `${t.name}.dlq`]), 'operator.redrive-ledger'].sort();
    expect(topics.map((t) => t.spec.topicName).sort()).toEqual(expected);
    for (const topic of catalog.topics) {
      expect(named(objects, 'KafkaTopic', topic.name)!.spec.config['cleanup.policy']).toBe(topic.compacted ? 'compact' : 'delete');
      expect(named(objects, 'KafkaTopic', `${topic.name}.dlq`)!.spec.config['cleanup.policy']).toBe('delete');
    }
    expect(named(objects, 'KafkaTopic', 'operator.redrive-ledger')!.spec.config['cleanup.policy']).toBe('compact');
    const replicas = env === 'kind' ? 1 : 3;
    expect(new Set(topics.map((t) => t.spec.replicas))).toEqual(new Set([replicas]));
    expect(topics.every((t) => t.metadata.labels!['strimzi.io/cluster'] === 'eventline')).toBe(true);
  });

  it('runs Kafka in KRaft mode on a KafkaNodePool of the environment size, with SCRAM-SHA-512 and ACLs', () => {
    const pool = ofKind(objects, 'KafkaNodePool');
    expect(pool).toHaveLength(1);
    expect(pool[0]!.spec).toMatchObject({ replicas: env === 'kind' ? 1 : 3, roles: ['controller', 'broker'] });
    const kafka = named(objects, 'Kafka', 'eventline')!;
    expect(kafka.apiVersion).toBe('kafka.strimzi.io/v1');
    expect(kafka.spec.kafka.listeners).toEqual([
      { name: 'scram', port: env === 'kind' ? 9092 : 9093, type: 'internal', tls: env === 'staging', authentication: { type: 'scram-sha-512' } },
    ]);
    expect(kafka.spec.kafka.authorization).toEqual({ type: 'simple' });
    expect(kafka.spec.kafka.config['auto.create.topics.enable']).toBe(false);
    expect(kafka.spec.entityOperator).toEqual({ topicOperator: {}, userOperator: {} });
  });

  it('renders every service through the one template: probes, restricted security, PDB, ServiceAccount, NetworkPolicy', () => {
    const workloads = objects.filter((o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && o.metadata.labels?.['app.kubernetes.io/component'] === 'service');
    expect(workloads.map((w) => w.metadata.name).sort()).toEqual([...serviceDirs].sort());
    for (const workload of workloads) {
      const name = workload.metadata.name;
      const pod = workload.spec.template.spec;
      const container = pod.containers[0];
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(container.resources.requests).toBeDefined();
      expect(container.resources.limits.memory).toBeDefined();
      // A service that takes requests: routing stops before SIGTERM (a sleep of at least 5 s). One
      // that takes none has nothing to wait out. The grace covers the sleep and the 25 s drain.
      const sleep = (container.lifecycle?.preStop?.sleep?.seconds as number | undefined) ?? 0;
      expect({ name, graceCovers: pod.terminationGracePeriodSeconds >= sleep + 25 }).toEqual({ name, graceCovers: true });
      expect({ name, sleep: sleep >= 5 ? 'at least 5 s' : sleep }).toEqual({ name, sleep: unrequested.includes(name) ? 0 : 'at least 5 s' });
      expect(pod.serviceAccountName).toBe(name);
      expect(pod.automountServiceAccountToken).toBe(kubernetesApiUsers.includes(name));
      expect(named(objects, 'ServiceAccount', name)).toBeDefined();
      expect(named(objects, 'PodDisruptionBudget', name)!.spec.selector.matchLabels['app.kubernetes.io/name']).toBe(name);
      expect(named(objects, 'NetworkPolicy', name)!.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      const env = Object.fromEntries(container.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
      if (name === 'config-service') continue;
      expect(env.CONFIG_SERVICE_URL).toBe('http://config-service:8094');
      const configMap = named(objects, 'ConfigMap', `${name}-config`)!;
      expect(configMap.metadata.labels!['eventline.dev/config-for']).toBe(name);
      expect(configMap.data).toEqual({ LOG_LEVEL: 'info' });
    }
    expect(named(objects, 'StatefulSet', 'cart-aggregator')).toBeDefined();
  });

  it('governs the StatefulSet with a headless Service, and opens the API server to no address it was not given (helm template cannot look it up)', () => {
    const statefulSet = named(objects, 'StatefulSet', 'cart-aggregator')!;
    const headless = named(objects, 'Service', statefulSet.spec.serviceName)!;
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.selector).toEqual(statefulSet.spec.selector.matchLabels);
    const cidrs = ofKind(objects, 'NetworkPolicy').flatMap((p) =>
      (p.spec.egress ?? []).flatMap((rule: { to?: { ipBlock?: { cidr: string } }[] }) => (rule.to ?? []).flatMap((to) => (to.ipBlock ? [to.ipBlock.cidr] : []))),
    );
    expect(cidrs).not.toContain('0.0.0.0/0');
    expect(cidrs.length > 0).toBe(env === 'staging');
  });

  it('finds Kafka, the registry and config-service by Kubernetes DNS names only', () => {
    const addresses = ofKind(objects, 'Deployment')
      .concat(ofKind(objects, 'StatefulSet'))
      .flatMap((w) => w.spec.template.spec.containers.flatMap((c: { env?: { value?: string }[] }) => (c.env ?? []).map((e) => e.value ?? '')));
    expect(addresses.filter((value) => /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/.test(value))).toEqual([]);
    const userService = named(objects, 'Deployment', 'user-service')!.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    const value = (name: string) => userService.find((e) => e.name === name)?.value;
    expect(value('KAFKA_BROKERS')).toBe(env === 'kind' ? 'eventline-kafka-bootstrap:9092' : 'eventline-kafka-bootstrap:9093');
    expect(value('SCHEMA_REGISTRY_URL')).toBe(env === 'kind' ? 'http://schema-registry:8080/apis/ccompat/v7' : 'https://schema-registry.staging.example.com/apis/ccompat/v7');
    expect(value('KAFKA_ENSURE_TOPICS')).toBe('false');
  });

  it('gives each Kafka service a KafkaUser limited to its own topics, groups and transactional ids', () => {
    const users = ofKind(objects, 'KafkaUser');
    // One per Kafka service, and the operator's Redrive Jobs' own.
    expect(users.map((u) => u.metadata.name).sort()).toEqual([...serviceDirs.filter((s) => s !== 'config-service'), 'operator-redrive'].sort());
    const topicNames = new Set(ofKind(objects, 'KafkaTopic').map((t) => t.spec.topicName));
    for (const user of users) {
      // The password is the chart's own Secret's, never one the User Operator generates (and may replace).
      const passwordSecret = `${user.metadata.name}-scram`;
      expect(user.spec.authentication).toEqual({ type: 'scram-sha-512', password: { valueFrom: { secretKeyRef: { name: passwordSecret, key: 'password' } } } });
      expect(Buffer.from(named(objects, 'Secret', passwordSecret)!.data!.password!, 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);
      for (const acl of user.spec.authorization.acls as { resource: { type: string; name: string; patternType: string }; operations: string[] }[]) {
        expect(acl.resource.name).not.toContain('*');
        if (acl.resource.type === 'topic') expect(topicNames).toContain(acl.resource.name);
        // The operator also reads the lag of, and deletes, the replay Jobs' groups; cart-aggregator deletes its restores' groups.
        const groups: Record<string, string[]> = {
          operator: ['operator.redrive', 'order-service.replay', 'cart-query.replay', 'cart-aggregator.replay'],
          'operator-redrive': ['operator.redrive'],
          'cart-aggregator': ['cart-aggregator', 'cart-aggregator.restore'],
        };
        if (acl.resource.type === 'group')
          expect((groups[user.metadata.name] ?? [user.metadata.name]).map((name) => ({ type: 'group', name, patternType: 'prefix' }))).toContainEqual(acl.resource);
      }
    }
    const acls = (name: string) => named(objects, 'KafkaUser', name)!.spec.authorization.acls as { resource: { type: string; name: string }; operations: string[] }[];
    const topicOps = (name: string) =>
      Object.fromEntries(
        acls(name)
          .filter((a) => a.resource.type === 'topic')
          .map((a) => [a.resource.name, a.operations]),
      );
    expect(topicOps('user-service')).toEqual({ users: ['Write', 'Describe'] });
    expect(topicOps('cart-query')).toEqual({ 'cart-details': ['Read', 'Describe'], 'cart-details.dlq': ['Write', 'Describe'] });
    // Delete on its restores' groups only, never on the group whose offsets carry its exactly-once progress.
    expect(acls('cart-aggregator').filter((a) => a.resource.type === 'group')).toEqual([
      { resource: { type: 'group', name: 'cart-aggregator', patternType: 'prefix' }, operations: ['Read', 'Describe'] },
      { resource: { type: 'group', name: 'cart-aggregator.restore', patternType: 'prefix' }, operations: ['Read', 'Describe', 'Delete'] },
    ]);
    expect(acls('cart-aggregator').filter((a) => a.resource.type === 'transactionalId')).toEqual([
      { resource: { type: 'transactionalId', name: 'cart-aggregator', patternType: 'prefix' }, operations: ['Write', 'Describe'] },
    ]);
    // The operator writes no record and has no transactions: its Redrive Jobs move records under their own user.
    expect(acls('operator').filter((a) => a.operations.includes('Write') || a.resource.type === 'transactionalId')).toEqual([]);
    expect(acls('operator-redrive').filter((a) => a.resource.type === 'transactionalId')).toEqual([
      { resource: { type: 'transactionalId', name: 'operator.redrive', patternType: 'prefix' }, operations: ['Write', 'Describe'] },
    ]);
    expect(topicOps('operator-redrive')).toMatchObject({ orders: ['Write', 'Describe'], 'orders.dlq': ['Read', 'Describe'], 'operator.redrive-ledger': ['Read', 'Describe'] });
    // It may read the offsets of every .dlq a Redrive Job reads (a Redrive's end offsets) and of every Replay's topics (its lag).
    const described = Object.entries(topicOps('operator'))
      .filter(([, operations]) => operations.includes('Describe'))
      .map(([topic]) => topic);
    const redriveDlqs = Object.keys(topicOps('operator-redrive')).filter((topic) => topic.endsWith('.dlq'));
    expect(redriveDlqs).toHaveLength(7);
    expect(described).toEqual(expect.arrayContaining([...Object.values(readModels).flatMap((m) => m.topics), ...redriveDlqs]));
    const operatorEnv = named(objects, 'Deployment', 'operator')!.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    expect(operatorEnv).toContainEqual({ name: 'REDRIVE_KAFKA_USER', value: 'operator-redrive' });
    // Services read their password from the Secret the User Operator creates for their KafkaUser.
    const password = named(objects, 'Deployment', 'order-service')!.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'KAFKA_SASL_PASSWORD');
    expect(password.valueFrom).toEqual({ secretKeyRef: { name: 'order-service', key: 'password' } });
    // And from that Secret mounted, read at each authentication, so a replaced password is followed.
    const orderPod = named(objects, 'Deployment', 'order-service')!.spec.template.spec;
    expect(orderPod.containers[0].env).toContainEqual({ name: 'KAFKA_SASL_PASSWORD_FILE', value: '/etc/eventline/kafka-user/password' });
    expect(orderPod.containers[0].volumeMounts).toContainEqual({ name: 'kafka-user', mountPath: '/etc/eventline/kafka-user', readOnly: true });
    expect(orderPod.volumes).toContainEqual({ name: 'kafka-user', secret: { secretName: 'order-service', items: [{ key: 'password', path: 'password' }] } });
  });

  it('routes exactly the public paths of routes.json on the ingress (ingress.enabled, for clusters that still run an Ingress controller), with their path types', () => {
    expect(named(objects, 'Ingress', 'eventline')).toBeUndefined();
    const ingress = named(parse(template(env, ['--set', 'ingress.enabled=true'])), 'Ingress', 'eventline')!;
    expect(ingress.spec.ingressClassName).toBe('nginx');
    const paths = ingress.spec.rules[0].http.paths.map((p: any) => ({ path: p.path, pathType: p.pathType, service: p.backend.service.name, port: p.backend.service.port.number }));
    const expected = routeTable.routes
      .filter((r) => r.public !== false)
      .map((r) => ({ path: r.path, pathType: r.match === 'exact' ? 'Exact' : 'Prefix', service: r.service, port: routeTable.services[r.service]!.port }));
    expect(paths).toEqual(expected);
    expect(paths.some((p: { path: string }) => p.path.startsWith('/config'))).toBe(false);
    for (const path of expected) expect(named(objects, 'Service', path.service)!.spec.ports[0].port).toBe(path.port);
  });

  it('tears the release down in order on helm uninstall: a pre-delete hook Job of the operator image, with a ServiceAccount of its own', () => {
    const job = named(objects, 'Job', 'uninstall')!;
    expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-delete', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' });
    const pod = job.spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: 'uninstall', automountServiceAccountToken: true, restartPolicy: 'Never' });
    expect(pod.containers[0].command).toEqual(['node', 'services/operator/dist/uninstall/command.js']);
    expect(pod.containers[0].image).toBe(named(objects, 'Deployment', 'operator')!.spec.template.spec.containers[0].image);
    expect(Object.fromEntries((pod.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]))).toMatchObject({
      RELEASE_NAME: 'eventline',
      WATCH_NAMESPACE: `eventline-${env}`,
      TEARDOWN_STRIMZI: 'true',
    });
    // Its ServiceAccount and Role are the release's own objects: they exist while the hook runs, and go with the release.
    for (const kind of ['ServiceAccount', 'Role', 'RoleBinding']) expect(isHook(named(objects, kind, 'uninstall')!)).toBe(false);
    expect(named(objects, 'ServiceAccount', 'uninstall')!.automountServiceAccountToken).toBe(false);
  });

  it('runs the schemas command in a hook Job that fails the release at once on an incompatible schema', () => {
    const job = named(objects, 'Job', 'eventline-schemas')!;
    expect(job.metadata.annotations!['helm.sh/hook']).toBe(env === 'kind' ? 'post-install,pre-upgrade' : 'pre-install,pre-upgrade');
    const container = job.spec.template.spec.containers[0];
    expect(container.command).toEqual(['node', 'packages/avro/dist/cli.js', 'register']);
    expect(job.spec.podFailurePolicy.rules[0]).toEqual({ action: 'FailJob', onExitCodes: { containerName: 'schemas', operator: 'In', values: [1, 2] } });
  });
});

describe.each(environments)('charts/eventline with values-%s.yaml under Helm 3.22, for users still on Helm 3 (the chart stays apiVersion v2)', (env) => {
  it('passes helm 3 lint --strict and renders exactly the objects Helm 4 renders', () => {
    const lint = runTool(kubeTools().helm3, ['lint', chart, '--strict', '-f', valuesFile(env)]);
    expect(lint.stderr).toBe('');
    expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(lint.status).toBe(0);
    // The KafkaUsers' passwords are drawn anew by each render (`helm template` looks nothing up): compared by shape.
    const drawnPasswordsMasked = (objects: K8sObject[]) =>
      objects.map((o) =>
        o.kind === 'Secret' && o.metadata.name.endsWith('-scram')
          ? { ...o, data: { password: /^[A-Za-z0-9]{32}$/.test(Buffer.from(o.data?.password ?? '', 'base64').toString()) } }
          : o,
      );
    const helm3 = parse(runToolOk(kubeTools().helm3, ['template', 'eventline', chart, '-f', valuesFile(env), '--namespace', `eventline-${env}`]));
    expect(drawnPasswordsMasked(helm3)).toEqual(drawnPasswordsMasked(parse(template(env))));
  });
});

describe('kind and staging differ where they should', () => {
  const kind = parse(template('kind'));
  const staging = parse(template('staging'));
  const statefulSets = (objects: K8sObject[]) =>
    ofKind(objects, 'StatefulSet')
      .map((s) => s.metadata.name)
      .sort();

  it('runs PostgreSQL, MongoDB and Apicurio in the kind release and none of them in staging', () => {
    expect(statefulSets(kind)).toEqual(['cart-aggregator', 'mongo', 'postgres']);
    expect(named(kind, 'Deployment', 'schema-registry')!.spec.template.spec.containers[0].image).toMatch(/apicurio-registry:3\./);
    expect(statefulSets(staging)).toEqual(['cart-aggregator']);
    expect(named(staging, 'Deployment', 'schema-registry')).toBeUndefined();
    const dbUrl = named(staging, 'Deployment', 'user-service')!.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'DATABASE_URL');
    expect(dbUrl.value).toBe('postgresql://eventline@eventline-pg.staging.example.com:5432/users?sslmode=verify-full&sslrootcert=/etc/eventline/postgres-ca/ca.crt');
  });

  it('mounts the Kafka cluster CA and the PostgreSQL CA in staging only, and scales staging services behind PDBs', () => {
    const volumes = (objects: K8sObject[]) => named(objects, 'Deployment', 'user-service')!.spec.template.spec.volumes.map((v: { name: string }) => v.name);
    expect(volumes(kind)).toEqual(['tmp', 'kafka-user']);
    expect(volumes(staging)).toEqual(['tmp', 'kafka-user', 'kafka-ca', 'postgres-ca']);
    const pgCa = named(staging, 'Deployment', 'user-service')!.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'postgres-ca');
    expect(pgCa.secret).toEqual({ secretName: 'eventline-postgres-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
    const orderVolumes = named(staging, 'Deployment', 'order-service')!.spec.template.spec.volumes.map((v: { name: string }) => v.name);
    expect(orderVolumes).toEqual(['tmp', 'kafka-user', 'kafka-ca']);
    expect(named(staging, 'PodDisruptionBudget', 'order-service')!.spec).toMatchObject({ minAvailable: 1 });
    expect(named(staging, 'PodDisruptionBudget', 'order-service')!.spec.maxUnavailable).toBeUndefined();
    expect(named(staging, 'HorizontalPodAutoscaler', 'cart-service')!.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
    expect(named(staging, 'Deployment', 'cart-service')!.spec.replicas).toBeUndefined();
    expect(ofKind(kind, 'HorizontalPodAutoscaler')).toEqual([]);
  });
});

describe('values-local.yaml with kafka.strimzi=false: a Kafka outside the release; FerretDB on DocumentDB, local images', () => {
  const localValues = join(chart, 'values-local.yaml');
  const render = (extra: string[]) =>
    runTool(kubeTools().helm, ['template', 'eventline', chart, '-f', localValues, '--namespace', 'eventline-local', '--set', 'kafka.strimzi=false', ...extra]);
  const objects = parse(
    runToolOk(kubeTools().helm, [
      'template',
      'eventline',
      chart,
      '-f',
      localValues,
      '--namespace',
      'eventline-local',
      '--set',
      'kafka.strimzi=false',
      '--set',
      'kafka.external.bootstrapServers=192.0.2.2:9094',
    ]),
  );
  const env = (o: K8sObject) => Object.fromEntries(((o.spec.template.spec.containers[0].env ?? []) as { name: string; value?: string }[]).map((e) => [e.name, e.value]));

  it('declares no Strimzi object and points every Kafka service at the external listener, creating its topics there', () => {
    expect(objects.filter((o) => o.apiVersion.startsWith('kafka.strimzi.io/'))).toEqual([]);
    const kafkaServices = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && env(o).KAFKA_BROKERS !== undefined);
    expect(kafkaServices.map((o) => o.metadata.name).sort()).toEqual(serviceDirs.filter((s) => s !== 'config-service').sort());
    for (const o of kafkaServices) {
      expect(env(o)).toMatchObject({ KAFKA_BROKERS: '192.0.2.2:9094', KAFKA_ENSURE_TOPICS: 'true', KAFKA_SASL_USERNAME: o.metadata.name });
      expect(env(o).KAFKA_TLS_CA_FILE).toBeUndefined();
    }
  });

  it('tears down no Strimzi object on uninstall, and may touch none', () => {
    const job = named(objects, 'Job', 'uninstall')!;
    expect(env(job).TEARDOWN_STRIMZI).toBe('false');
    expect(named(objects, 'Role', 'uninstall')!.rules.map((r: { apiGroups: string[] }) => r.apiGroups)).toEqual([['eventline.dev'], ['batch']]);
  });

  it('refuses to render without the external bootstrap address, naming the value', () => {
    const result = render([]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('kafka.external.bootstrapServers is required when kafka.strimzi is false');
  });

  it('runs FerretDB beside DocumentDB in the mongo pod, its PostgreSQL on loopback, with a generated password', () => {
    const mongo = named(objects, 'StatefulSet', 'mongo')!;
    const containers = mongo.spec.template.spec.containers as { name: string; image: string; args: string[]; readinessProbe: any }[];
    expect(containers.map((c) => c.name)).toEqual(['ferretdb', 'documentdb']);
    expect(containers[0]!.image).toBe('127.0.0.1:5000/eventline-local/ferretdb:2.5.0');
    expect(containers[0]!.readinessProbe.httpGet.path).toBe('/debug/readyz');
    expect(containers[1]!.image).toBe('127.0.0.1:5000/eventline-local/documentdb:0.106.0-pg15');
    expect(containers[1]!.args).toEqual(['postgres', '-c', 'listen_addresses=127.0.0.1']);
    const secret = named(objects, 'Secret', 'mongo-documentdb') as K8sObject & { stringData: { password: string } };
    expect(secret.stringData.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(named(objects, 'Deployment', 'schema-registry')!.spec.template.spec.containers[0].image).toBe('127.0.0.1:5000/eventline-local/apicurio-registry:3.3.3');
  });

  it('refuses an unknown Mongo engine', () => {
    const result = render(['--set', 'kafka.external.bootstrapServers=x:1', '--set', 'mongo.engine=couchdb']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('mongo.engine must be mongodb or ferretdb, not "couchdb"');
  });
});

describe("tracing and metrics: each service's OTEL_* variables, the release's Zipkin and Prometheus", () => {
  const render = (extra: string[]) => runTool(kubeTools().helm, ['template', 'eventline', chart, '-f', valuesFile('kind'), '--namespace', 'eventline-kind', ...extra]);
  const envOf = (objects: K8sObject[], service: string): Record<string, string> =>
    Object.fromEntries(
      (named(objects, 'Deployment', service) ?? named(objects, 'StatefulSet', service))!.spec.template.spec.containers[0].env
        .filter((e: { value?: string }) => e.value !== undefined)
        .map((e: { name: string; value: string }) => [e.name, e.value]),
    );

  it('traces nothing unless an exporter is chosen, and deploys neither store', () => {
    const objects = parse(template('kind'));
    expect(envOf(objects, 'cart-service').OTEL_TRACES_EXPORTER).toBe('none');
    expect(envOf(objects, 'cart-service').OTEL_EXPORTER_ZIPKIN_ENDPOINT).toBeUndefined();
    expect(objects.filter((o) => ['zipkin', 'prometheus', 'otel-collector'].includes(o.metadata.labels?.['app.kubernetes.io/name'] ?? ''))).toEqual([]);
  });

  it("sends every service's spans to the release's Zipkin, which each NetworkPolicy lets it reach", () => {
    const result = render([
      '--set',
      'tracing.exporter=zipkin',
      '--set',
      'tracing.zipkin.deploy=true',
      '--set',
      'tracing.zipkin.image=zipkin:test',
      // --set reads 0.25 as a string (it parses integers only); a values file or --set-json gives a number.
      '--set-json',
      'tracing.sampleRatio=0.25',
    ]);
    expect(result.stderr).toBe('');
    const objects = parse(result.stdout);
    expect(named(objects, 'Deployment', 'zipkin')!.spec.template.spec.containers[0].image).toBe('zipkin:test');
    for (const service of serviceDirs) {
      expect({ service, env: envOf(objects, service) }).toEqual({
        service,
        env: expect.objectContaining({
          OTEL_TRACES_EXPORTER: 'zipkin',
          OTEL_SERVICE_NAME: service,
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.25',
          OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://zipkin:9411/api/v2/spans',
        }),
      });
      const egress = named(objects, 'NetworkPolicy', service)!.spec.egress as { to?: { podSelector?: { matchLabels?: Record<string, string> } }[]; ports?: { port: number }[] }[];
      expect({
        service,
        toZipkin: egress.some((rule) => rule.to?.some((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'zipkin') && rule.ports?.[0]?.port === 9411),
      }).toEqual({
        service,
        toZipkin: true,
      });
    }
  });

  it('sends spans to an existing collector over OTLP, and refuses otlp without its endpoint or zipkin with nowhere to send', () => {
    const objects = parse(template('kind', ['--set', 'tracing.exporter=otlp', '--set', 'tracing.otlpEndpoint=http://collector.monitoring:4318']));
    expect(envOf(objects, 'order-service')).toMatchObject({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.monitoring:4318' });
    expect(render(['--set', 'tracing.exporter=otlp']).stderr).toContain('tracing.exporter otlp needs tracing.otlpEndpoint or tracing.collector.deploy');
    expect(render(['--set', 'tracing.exporter=zipkin']).stderr).toContain('tracing.exporter zipkin needs tracing.zipkinEndpoint or tracing.zipkin.deploy');
    expect(render(['--set', 'tracing.exporter=jaeger']).stderr).toContain('/tracing/exporter');
  });

  it("runs the release's Collector: services send it OTLP, it writes Zipkin's topic as its KafkaUser, Zipkin reads it as its own, Prometheus scrapes its span metrics", () => {
    const collector = [
      'tracing.exporter=otlp',
      'tracing.collector.deploy=true',
      'tracing.collector.image=otelcol:test',
      'tracing.zipkin.deploy=true',
      'tracing.zipkin.image=zipkin:test',
    ];
    const objects = parse(
      template(
        'kind',
        [...collector, 'metrics.prometheus.deploy=true', 'metrics.prometheus.image=prometheus:test'].flatMap((v) => ['--set', v]),
      ),
    );
    for (const service of serviceDirs) {
      expect({ service, endpoint: envOf(objects, service).OTEL_EXPORTER_OTLP_ENDPOINT }).toEqual({ service, endpoint: 'http://otel-collector:4318' });
      const egress = named(objects, 'NetworkPolicy', service)!.spec.egress as { to?: { podSelector?: { matchLabels?: Record<string, string> } }[]; ports?: { port: number }[] }[];
      expect({
        service,
        toCollector: egress.some(
          (rule) => rule.to?.some((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'otel-collector') && rule.ports?.[0]?.port === 4318,
        ),
      }).toEqual({ service, toCollector: true });
    }
    const config = named(objects, 'ConfigMap', 'otel-collector')!.data!['config.yaml']!;
    expect(config).toContain('encoding: zipkin_json');
    expect(config).toContain('username: "otel-collector"');
    expect(config).not.toContain('ca_file');
    expect(config).toContain('exporters: [kafka, spanmetrics]');
    expect(named(objects, 'KafkaTopic', 'zipkin-spans')!.spec.topicName).toBe('zipkin-spans');
    expect(named(objects, 'KafkaUser', 'otel-collector')!.spec.authorization.acls).toEqual([
      { resource: { type: 'topic', name: 'zipkin-spans', patternType: 'literal' }, operations: ['Write', 'Describe'] },
    ]);
    expect(named(objects, 'KafkaUser', 'zipkin')!.spec.authorization.acls).toEqual([
      { resource: { type: 'group', name: 'zipkin', patternType: 'prefix' }, operations: ['Read', 'Describe'] },
      { resource: { type: 'topic', name: 'zipkin-spans', patternType: 'literal' }, operations: ['Read', 'Describe'] },
    ]);
    const zipkin = named(objects, 'Deployment', 'zipkin')!.spec.template.spec.containers[0];
    expect(zipkin.args).toEqual(
      expect.arrayContaining([
        '--zipkin.collector.kafka.bootstrap-servers=eventline-kafka-bootstrap:9092',
        '--zipkin.collector.kafka.topic=zipkin-spans',
        '--zipkin.collector.kafka.overrides.security.protocol=SASL_PLAINTEXT',
        '--zipkin.collector.kafka.overrides.auto.offset.reset=earliest',
      ]),
    );
    // Its Kafka collector does not retry a failed login, and /health then fails: the liveness probe
    // restarts it after two minutes (a broker's restart is shorter), so the startup probe waits only for HTTP.
    expect(zipkin.startupProbe.tcpSocket).toEqual({ port: 'http' });
    expect(zipkin.livenessProbe).toMatchObject({ httpGet: { path: '/health', port: 'http' }, periodSeconds: 10, failureThreshold: 12 });
    expect(zipkin.env).toEqual([{ name: 'KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'zipkin', key: 'password' } } }]);
    expect(named(objects, 'ConfigMap', 'prometheus')!.data!['prometheus.yml']).toContain('- targets: ["otel-collector:8889"]');
    // Over a TLS listener both trust the cluster CA.
    const tls = parse(
      template(
        'kind',
        [...collector, 'kafka.listener.tls=true'].flatMap((v) => ['--set', v]),
      ),
    );
    expect(named(tls, 'ConfigMap', 'otel-collector')!.data!['config.yaml']).toContain('ca_file: /etc/eventline/kafka-ca/ca.crt');
    expect(named(tls, 'Deployment', 'zipkin')!.spec.template.spec.containers[0].args).toContain('--zipkin.collector.kafka.overrides.ssl.truststore.type=PEM');
    expect(render([...collector.filter((v) => !v.startsWith('tracing.zipkin')), 'tracing.collector.deploy=true'].flatMap((v) => ['--set', v])).stderr).toContain(
      'tracing.collector.deploy sends spans to the release',
    );
  });

  it("runs a Prometheus that finds each service's pods by DNS (a headless Service each) with no Kubernetes API access, and that each NetworkPolicy admits", () => {
    const objects = parse(template('kind', ['--set', 'metrics.prometheus.deploy=true', '--set', 'metrics.prometheus.image=prometheus:test']));
    expect(ofKind(objects, 'Role').filter((o) => o.metadata.name === 'prometheus')).toEqual([]);
    expect(named(objects, 'ServiceAccount', 'prometheus')!.automountServiceAccountToken).toBe(false);
    const config = named(objects, 'ConfigMap', 'prometheus')!.data!['prometheus.yml']!;
    for (const service of serviceDirs) {
      expect(named(objects, 'Service', `${service}-pods`)!.spec).toMatchObject({ clusterIP: 'None', selector: { 'app.kubernetes.io/name': service } });
      expect(config).toContain(`- names: ["${service}-pods.eventline-kind.svc"]`);
      expect(config).toContain(`port: ${routeTable.services[service]!.port}`);
    }
    for (const service of serviceDirs) {
      const ingress = named(objects, 'NetworkPolicy', service)!.spec.ingress as { from: { podSelector?: { matchLabels?: Record<string, string> } }[]; ports: { port: number }[] }[];
      const port = routeTable.services[service]!.port;
      expect({
        service,
        admitsPrometheus: ingress.some(
          (rule) => rule.from.some((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'prometheus') && rule.ports[0]?.port === port,
        ),
      }).toEqual({
        service,
        admitsPrometheus: true,
      });
    }
  });
});

describe('values: the schema and the per-service knobs', () => {
  const render = (extra: string[]) => runTool(kubeTools().helm, ['template', 'eventline', chart, '-f', valuesFile('kind'), ...extra]);

  it('refuses a misspelt value, naming where it is', () => {
    const result = render(['--set', 'services.user-service.replica=2']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("at '/services/user-service': additional properties 'replica' not allowed");
    expect(render(['--set', 'networkPolicy.apiServerEgress[0].cidr=everywhere', '--set', 'networkPolicy.apiServerEgress[0].ports[0]=443']).stderr).toContain(
      '/networkPolicy/apiServerEgress/0/cidr',
    );
  });

  it("refuses topic partitions for a topic the catalog lacks, and cart-events partitioned unlike the aggregator's changelog", () => {
    const unknown = render(['--set', 'kafka.topicPartitions.cart-eventz=6']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain('"cart-eventz" is not a topic of schemas/topics.json');
    const apart = render(['--set', 'kafka.topicPartitions.cart-events=12']);
    expect(apart.status).not.toBe(0);
    expect(apart.stderr).toContain('cart-events (12) and cart-aggregator.changelog (3) need the same number of partitions');
    const together = render(['--set', 'kafka.topicPartitions.cart-events=12', '--set', 'kafka.topicPartitions.cart-aggregator\\.changelog=12']);
    expect(together.stderr).toBe('');
    expect(together.status).toBe(0);
  });

  it("adds kafka.config's broker settings to the Kafka's, and refuses one the chart sets itself", () => {
    const objects = parse(template('staging', ['--set-json', 'kafka.config={"queued.max.requests":600,"log.cleaner.enable":true}']));
    expect(named(objects, 'Kafka', 'eventline')!.spec.kafka.config).toEqual({
      'auto.create.topics.enable': false,
      'default.replication.factor': 3,
      'min.insync.replicas': 2,
      'offsets.topic.replication.factor': 3,
      'transaction.state.log.replication.factor': 3,
      'transaction.state.log.min.isr': 2,
      'log.cleaner.enable': true,
      'queued.max.requests': 600,
    });
    const own = render(['--set-json', 'kafka.config={"min.insync.replicas":1}']);
    expect(own.status).not.toBe(0);
    expect(own.stderr).toContain('kafka.config.min.insync.replicas: the chart sets it');
  });

  it('applies the standard pod knobs and probes from serviceDefaults, and a service overrides them', () => {
    const objects = parse(
      template('kind', [
        '--set',
        'serviceDefaults.nodeSelector.pool=services',
        '--set',
        'serviceDefaults.tolerations[0].key=dedicated',
        '--set',
        'serviceDefaults.tolerations[0].operator=Exists',
        '--set',
        'serviceDefaults.podAnnotations.team=carts',
        '--set',
        'image.pullSecrets[0]=registry-login',
        '--set',
        'services.cart-query.probes.readiness.periodSeconds=7',
        '--set',
        'networkPolicy.apiServerEgress[0].cidr=10.96.0.1/32',
        '--set',
        'networkPolicy.apiServerEgress[0].ports[0]=443',
      ]),
    );
    const pod = (kind: string, name: string) => named(objects, kind, name)!.spec.template;
    for (const [kind, name] of [
      ['Deployment', 'user-service'],
      ['StatefulSet', 'cart-aggregator'],
      ['Deployment', 'cart-query'],
    ] as const) {
      const template = pod(kind, name);
      expect(template.spec.nodeSelector).toEqual({ pool: 'services' });
      expect(template.spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Exists' }]);
      expect(template.spec.imagePullSecrets).toEqual([{ name: 'registry-login' }]);
      expect(template.metadata.annotations).toMatchObject({ team: 'carts', 'prometheus.io/scrape': 'true' });
    }
    expect(pod('Deployment', 'cart-query').spec.containers[0].readinessProbe).toEqual({ httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 7, failureThreshold: 2 });
    expect(pod('Deployment', 'user-service').spec.containers[0].readinessProbe.periodSeconds).toBe(5);
    const operatorEgress = named(objects, 'NetworkPolicy', 'operator')!.spec.egress as { to?: { ipBlock?: { cidr: string } }[]; ports?: { port: number }[] }[];
    expect(operatorEgress.filter((rule) => rule.to?.[0]?.ipBlock)).toEqual([{ to: [{ ipBlock: { cidr: '10.96.0.1/32' } }], ports: [{ protocol: 'TCP', port: 443 }] }]);
  });
});

describe('charts/eventline installed into a real kube-apiserver (etcd, RBAC, admission, Strimzi CRD schemas)', () => {
  let server: TestApiServer;

  beforeAll(async () => {
    server = await startTestApiServer();
    const crds = server.kubectl(['apply', '--server-side', '-f', join(repoRoot, 'k8s', 'strimzi-crds')]);
    expect(crds.stderr).toBe('');
    // The Gateway and HTTPRoutes are checked against the Gateway API CRDs the local cluster installs.
    const gatewayApi = server.kubectl(['apply', '--server-side', '-f', '-'], gatewayApiCrdManifest());
    expect(gatewayApi.stderr).toBe('');
    const established = server.kubectl(['wait', '--for', 'condition=Established', '--timeout=60s', 'crd', '--all']);
    expect(established.status).toBe(0);
  });

  afterAll(() => server?.dispose());

  it.each(environments)('accepts every object of a helm install with values-%s.yaml, none warned by the restricted Pod Security Standard', (env) => {
    const namespace = `eventline-${env}`;
    // Pod Security Admission warns (and would refuse pods) for anything below `restricted`.
    const created = server.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } },
      }),
    );
    expect(created.status).toBe(0);
    const manifest = template(env);
    const dryRun = server.kubectl(['apply', '--dry-run=server', '--warnings-as-errors', '-n', namespace, '-f', '-'], manifest);
    expect(dryRun.stderr).toBe('');
    expect(dryRun.status).toBe(0);

    // The API server's own EndpointSlice, which a whole cluster keeps (this bare API server runs no
    // controller that writes it): what the chart looks up when no apiServerEgress is given.
    if (server.kubectl(['get', 'endpointslice', 'kubernetes', '-n', 'default']).status !== 0) {
      const slice = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['192.0.2.10'] }],
        ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      };
      expect(server.kubectl(['apply', '-f', '-'], JSON.stringify(slice)).status).toBe(0);
    }
    // Hooks (the schemas Job) would wait for a pod that cannot run here: created separately below.
    const install = server.helm(['install', 'eventline', chart, '-f', valuesFile(env), '--namespace', namespace, '--no-hooks']);
    expect(install.stderr).toBe('');
    expect(install.stdout).toContain('STATUS: deployed');

    const rendered = parse(manifest);
    for (const kind of new Set(rendered.filter((o) => !isHook(o)).map((o) => o.kind))) {
      const expected = rendered
        .filter((o) => o.kind === kind && !isHook(o))
        .map((o) => o.metadata.name)
        .sort();
      const listed = server.kubectl(['get', kind.toLowerCase(), '-n', namespace, '-l', 'app.kubernetes.io/instance=eventline', '-o', 'jsonpath={.items[*].metadata.name}']);
      expect({ kind, names: listed.stdout.split(' ').filter(Boolean).sort() }).toEqual({ kind, names: expected });
    }

    if (env === 'kind') {
      // No apiServerEgress given: the install looked up the API server's own addresses.
      const slice = JSON.parse(server.kubectl(['get', 'endpointslice', 'kubernetes', '-n', 'default', '-o', 'json']).stdout) as {
        endpoints: { addresses: string[] }[];
        ports: { port: number }[];
      };
      const policy = JSON.parse(server.kubectl(['get', 'networkpolicy', 'config-service', '-n', namespace, '-o', 'json']).stdout) as {
        spec: { egress: { to?: { ipBlock?: { cidr: string } }[]; ports?: { port: number }[] }[] };
      };
      const toApiServer = policy.spec.egress.filter((rule) => rule.to?.[0]?.ipBlock).map((rule) => ({ cidr: rule.to![0]!.ipBlock!.cidr, ports: rule.ports!.map((p) => p.port) }));
      expect(toApiServer).toEqual(slice.endpoints.flatMap((e) => e.addresses.map((address) => ({ cidr: `${address}/32`, ports: slice.ports.map((p) => p.port) }))));
      expect(toApiServer.length).toBeGreaterThan(0);
    }

    const hook = server.kubectl(['create', '-n', namespace, '-f', '-'], template(env, ['--show-only', 'templates/schemas-hook.yaml']));
    expect(hook.stdout).toContain('job.batch/eventline-schemas created');
    const job = JSON.parse(server.kubectl(['get', 'job', 'eventline-schemas', '-n', namespace, '-o', 'json']).stdout);
    expect(job.spec.podFailurePolicy.rules[0].action).toBe('FailJob');

    const upgrade = server.helm(['upgrade', 'eventline', chart, '-f', valuesFile(env), '--namespace', namespace, '--no-hooks', '--set', 'services.user-service.replicas=2']);
    expect(upgrade.stdout).toContain('STATUS: deployed');
  });

  it("installs with Helm 4 server-side and upgrades a Helm 3 user's release with Helm 4, which keeps client-side apply for it", () => {
    const managers = (namespace: string) =>
      (
        JSON.parse(server.kubectl(['get', 'deployment', 'user-service', '-n', namespace, '-o', 'json', '--show-managed-fields']).stdout) as {
          metadata: { managedFields: { manager: string; operation: string }[] };
        }
      ).metadata.managedFields
        .filter((f) => f.manager === 'helm')
        .map((f) => f.operation);
    // The Helm 4 install of the test above: server-side apply, helm the field manager.
    expect(managers('eventline-kind')).toEqual(['Apply']);

    const namespace = 'eventline-helm3';
    expect(server.kubectl(['create', 'namespace', namespace]).status).toBe(0);
    const install = server.helm3(['install', 'eventline', chart, '-f', valuesFile('kind'), '--namespace', namespace, '--no-hooks']);
    expect(install.stderr).toBe('');
    expect(install.stdout).toContain('STATUS: deployed');
    expect(managers(namespace)).toEqual(['Update']);

    const upgrade = server.helm(['upgrade', 'eventline', chart, '-f', valuesFile('kind'), '--namespace', namespace, '--no-hooks', '--set', 'services.user-service.replicas=2']);
    expect(upgrade.stderr).toBe('');
    expect(upgrade.stdout).toContain('STATUS: deployed');
    expect(managers(namespace)).toEqual(['Update']);
    expect(server.kubectl(['get', 'deployment', 'user-service', '-n', namespace, '-o', 'jsonpath={.spec.replicas}']).stdout).toBe('2');
  });

  it('installs two releases into one namespace: the second, shop, prefixes every object and collides with none', () => {
    const namespace = 'eventline-two-releases';
    expect(server.kubectl(['create', 'namespace', namespace]).status).toBe(0);
    const install = (release: string, extra: string[] = []) => server.helm(['install', release, chart, '-f', valuesFile('kind'), '--namespace', namespace, '--no-hooks', ...extra]);
    expect(install('eventline').stdout).toContain('STATUS: deployed');
    const shop = install('shop', ['--set', 'services.operator.takeUnlabelledResources=false']);
    // Helm refuses to take over an object another release owns: any shared name fails here.
    expect(shop.stderr).toBe('');
    expect(shop.stdout).toContain('STATUS: deployed');

    const kinds =
      'deployments,statefulsets,services,secrets,configmaps,serviceaccounts,roles,rolebindings,networkpolicies,poddisruptionbudgets,kafkas,kafkanodepools,kafkatopics,kafkausers,gateways,httproutes';
    const namesOf = (release: string) =>
      server
        .kubectl(['get', kinds, '-n', namespace, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}'])
        .stdout.split('\n')
        .filter(Boolean);
    const ours = namesOf('eventline');
    const theirs = namesOf('shop');
    expect(theirs.length).toBe(ours.length);
    expect(theirs.filter((key) => !key.split('/')[1]!.startsWith('shop-'))).toEqual([]);
    expect(ours).toEqual(expect.arrayContaining(['Deployment/user-service', 'Service/cart-query', 'Kafka/eventline']));
    expect(theirs).toEqual(expect.arrayContaining(['Deployment/shop-user-service', 'Service/shop-cart-query', 'Kafka/shop-eventline']));
  });

  it('refuses what the Strimzi schemas forbid, so the acceptance above means something', () => {
    const refused = server.kubectl(
      ['apply', '--dry-run=server', '-n', 'default', '-f', '-'],
      JSON.stringify({
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaUser',
        metadata: { name: 'bad', labels: { 'strimzi.io/cluster': 'eventline' } },
        spec: { authentication: { type: 'scram-sha-256' }, authorization: { type: 'simple', acls: [{ resource: { type: 'topic', name: 'users' }, operations: ['Read'] }] } },
      }),
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('spec.authentication.type: Unsupported value: "scram-sha-256"');

    server.kubectl(['create', 'namespace', 'psa-check']);
    server.kubectl(['label', 'namespace', 'psa-check', 'pod-security.kubernetes.io/warn=restricted']);
    const loose = server.kubectl(
      ['apply', '--dry-run=server', '--warnings-as-errors', '-n', 'psa-check', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'loose' },
        spec: { selector: { matchLabels: { app: 'loose' } }, template: { metadata: { labels: { app: 'loose' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
      }),
    );
    expect(loose.status).not.toBe(0);
    expect(loose.stderr).toContain('would violate PodSecurity "restricted:latest"');
  });

  it('lets config-service read ConfigMaps of its own namespace only', async () => {
    const kubeconfig = await server.serviceAccountKubeconfig('eventline-kind', 'config-service');
    const can = (args: string[]) => runTool(kubeTools().kubectl, ['--kubeconfig', kubeconfig, 'auth', 'can-i', ...args]).stdout.trim();
    expect(can(['watch', 'configmaps', '-n', 'eventline-kind'])).toBe('yes');
    expect(can(['list', 'configmaps', '-n', 'eventline-kind'])).toBe('yes');
    expect(can(['update', 'configmaps', '-n', 'eventline-kind'])).toBe('no');
    expect(can(['list', 'secrets', '-n', 'eventline-kind'])).toBe('no');
    expect(can(['list', 'configmaps', '-n', 'eventline-staging'])).toBe('no');
  });

  it("lets the uninstall hook delete the release's Replays, Redrives, KafkaTopics and KafkaUsers, and nothing more", async () => {
    const kubeconfig = await server.serviceAccountKubeconfig('eventline-kind', 'uninstall');
    const can = (args: string[]) => runTool(kubeTools().kubectl, ['--kubeconfig', kubeconfig, 'auth', 'can-i', ...args, '-n', 'eventline-kind']).stdout.trim();
    for (const allowed of [
      ['list', 'replays.eventline.dev'],
      ['delete', 'redrives.eventline.dev'],
      ['delete', 'kafkatopics.kafka.strimzi.io'],
      ['delete', 'kafkausers.kafka.strimzi.io'],
      // Only to remove the finalizers of what the entity operator did not release in time.
      ['patch', 'kafkatopics.kafka.strimzi.io'],
      // The failed schemas hook Jobs Helm keeps.
      ['list', 'jobs.batch'],
      ['delete', 'jobs.batch'],
    ]) {
      expect([allowed.join(' '), can(allowed)]).toEqual([allowed.join(' '), 'yes']);
    }
    for (const refused of [
      ['patch', 'replays.eventline.dev'],
      ['delete', 'kafkas.kafka.strimzi.io'],
      ['list', 'secrets'],
      ['delete', 'deployments.apps'],
      ['create', 'pods'],
    ]) {
      expect([refused.join(' '), can(refused)]).toEqual([refused.join(' '), 'no']);
    }
  });

  it('lets the operator do what it uses, in its own namespace, and nothing more', async () => {
    const kubeconfig = await server.serviceAccountKubeconfig('eventline-kind', 'operator');
    const can = (args: string[]) => runTool(kubeTools().kubectl, ['--kubeconfig', kubeconfig, 'auth', 'can-i', ...args, '-n', 'eventline-kind']).stdout.trim();
    for (const allowed of [
      ['watch', 'replays.eventline.dev'],
      ['patch', 'redrives.eventline.dev'],
      ['patch', 'replays.eventline.dev', '--subresource=status'],
      ['create', 'events'],
      ['create', 'leases.coordination.k8s.io'],
      ['update', 'leases.coordination.k8s.io/eventline-operator'],
      ['create', 'jobs.batch'],
      ['delete', 'jobs.batch'],
      // Its Replays' Jobs are watched: a Job's end reconciles its Replay at once.
      ['list', 'jobs.batch'],
      ['watch', 'jobs.batch'],
      ['get', 'deployments.apps'],
      ['get', 'statefulsets.apps'],
      ['list', 'pods'],
    ]) {
      expect([allowed.join(' '), can(allowed)]).toEqual([allowed.join(' '), 'yes']);
    }
    for (const refused of [
      ['delete', 'replays.eventline.dev'],
      ['update', 'leases.coordination.k8s.io/other-lease'],
      ['list', 'secrets'],
      ['create', 'pods'],
      ['get', 'pods/log'],
      ['patch', 'deployments.apps'],
      ['update', 'jobs.batch'],
    ]) {
      expect([refused.join(' '), can(refused)]).toEqual([refused.join(' '), 'no']);
    }
    expect(runTool(kubeTools().kubectl, ['--kubeconfig', kubeconfig, 'auth', 'can-i', 'watch', 'replays.eventline.dev', '-n', 'eventline-staging']).stdout.trim()).toBe('no');
  });
});
