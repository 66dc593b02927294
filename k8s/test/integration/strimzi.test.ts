import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { Kafka, logLevel, type ISocketFactory } from 'kafkajs';
import { parseAllDocuments } from 'yaml';
import { kubeToolPaths } from '../../../infra/src/kube-tools';
import { repoRoot } from '../../../infra/src/settings';
import { clusterStatus, clusterUp } from '../../../infra/src/cluster/cluster';
import { inRegistry } from '../../../infra/src/cluster/docker-images';
import { kubeconfigPath } from '../../../infra/src/cluster/settings';
import { ensureStrimziBuild, strimziVersion } from '../../../infra/src/cluster/strimzi-build';
import { ensureStrimziImages, strimziKafkaRef, strimziOperatorRef } from '../../../infra/src/cluster/strimzi-images';
import { installStrimziOperator, uninstallStrimziOperator } from '../../../infra/src/cluster/strimzi-install';
import { kubectl, portForward, until } from './kube';

/**
 * Strimzi 1.2.0 built from the vendored source, installed with its own Helm chart on the local
 * cluster (`npm run cluster`), reconciling the chart's Kafka, KafkaNodePool, KafkaTopics and
 * KafkaUsers in a namespace of its own; the ACLs the User Operator writes are then checked with a real
 * client. The cluster is started only if it is down and never stopped (others share it).
 */
const asRoot = userInfo().uid === 0;
const suite = asRoot ? describe : describe.skip;
const namespace = `strimzi-test-${randomBytes(3).toString('hex')}`;
const minutes = (n: number) => n * 60_000;
const strimziKinds = ['Kafka', 'KafkaNodePool', 'KafkaTopic', 'KafkaUser'];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

/** The chart's Strimzi objects, rendered with values-local.yaml into the test's namespace. */
function chartStrimziObjects(): K8sObject[] {
  const result = spawnSync(kubeToolPaths().helm, [
    'template', 'eventline', join(repoRoot, 'charts', 'eventline'), '-n', namespace, '-f', join(repoRoot, 'charts', 'eventline', 'values-local.yaml'),
  ], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`helm template: ${result.stderr}`);
  return parseAllDocuments(result.stdout).map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && strimziKinds.includes(o.kind));
}

interface Condition { type: string; status: string; reason?: string; message?: string }
interface StrimziList { items: { metadata: { name: string }; status?: { conditions?: Condition[] } }[] }

/** The names of the objects of `resource` whose Ready condition is not True (with the reason when there is one). */
function notReady(resource: string): string[] {
  const list = JSON.parse(kubectl(['-n', namespace, 'get', resource, '-o', 'json'])) as StrimziList;
  return list.items.flatMap((o) => {
    const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
    return ready?.status === 'True' ? [] : [`${o.metadata.name}${ready?.message ? ` (${ready.reason}: ${ready.message})` : ''}`];
  });
}

const secretValue = (name: string, key: string): string =>
  Buffer.from(kubectl(['-n', namespace, 'get', 'secret', name, '-o', `jsonpath={.data.${key.replaceAll('.', '\\.')}}`]), 'base64').toString();

suite('Strimzi 1.2.0 from the vendored source on the local cluster', () => {
  const objects = chartStrimziObjects();
  const topics = objects.filter((o) => o.kind === 'KafkaTopic').map((o) => o.metadata.name);
  const users = objects.filter((o) => o.kind === 'KafkaUser').map((o) => o.metadata.name);
  let installStarted = 0;

  beforeAll(async () => {
    const { rows } = await clusterStatus();
    if (rows.some((r) => r.health !== 'healthy')) await clusterUp();
    kubectl(['create', 'namespace', namespace]);
  }, minutes(30));

  afterAll(async () => {
    // KafkaTopics and KafkaUsers carry the entity operator's finalizers: they go while it still runs,
    // then the Kafka, then the operator, then the namespace.
    const remove = (what: string[]) => spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, '-n', namespace, 'delete', ...what, '--wait=true', '--timeout=120s'], { stdio: 'ignore' });
    remove(['kafkatopics,kafkausers', '--all']);
    remove(['kafkas,kafkanodepools', '--all']);
    try {
      uninstallStrimziOperator(namespace);
    } finally {
      kubectl(['delete', 'namespace', namespace, '--wait=true', '--timeout=180s']);
    }
  }, minutes(8));

  it('builds the operators and the Kafka agents with Maven from the vendored source, once', async () => {
    const build = await ensureStrimziBuild();
    for (const file of [...build.operatorDists, build.kafkaAgentJar, build.tracingAgentJar]) expect(existsSync(file)).toBe(true);
    expect(existsSync(join(build.dir, 'done'))).toBe(true);
    // Another process finds the cached build and does nothing.
    const started = Date.now();
    const again = spawnSync('npx', ['tsx', join(repoRoot, 'infra', 'src', 'cluster', 'cli.ts'), 'strimzi-build'], { cwd: repoRoot, encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(again.stdout.trim()).toBe(build.dir);
    expect(again.stderr).not.toContain('building Strimzi');
    expect(Date.now() - started).toBeLessThan(30_000);
  }, minutes(40));

  it('builds the operator and Kafka images on the Debian base and pushes them to the cluster\'s registry', async () => {
    const times = await ensureStrimziImages();
    expect(times.map((t) => t.image)).toEqual(expect.arrayContaining([strimziOperatorRef, strimziKafkaRef]));
    for (const t of times) expect(inRegistry(t.image)).toBe(true);
  }, minutes(20));

  it('installs the operator with Strimzi\'s own Helm chart; its CRDs serve kafka.strimzi.io/v1 and it runs the local image', async () => {
    installStarted = Date.now();
    await installStrimziOperator(namespace);
    for (const crd of ['kafkas', 'kafkanodepools', 'kafkatopics', 'kafkausers']) {
      const served = kubectl(['get', 'crd', `${crd}.kafka.strimzi.io`, '-o', 'jsonpath={.spec.versions[?(@.served==true)].name}']);
      expect(served.split(' ')).toContain('v1');
    }
    const image = kubectl(['-n', namespace, 'get', 'deployment', 'strimzi-cluster-operator', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    expect(image).toBe(strimziOperatorRef);
    const env = kubectl(['-n', namespace, 'get', 'deployment', 'strimzi-cluster-operator', '-o', 'jsonpath={.spec.template.spec.containers[0].env}']);
    expect(env).toContain(`4.3.1=${strimziKafkaRef}`);
    expect(env).not.toContain('quay.io');
    kubectl(['-n', namespace, 'rollout', 'status', 'deployment/strimzi-cluster-operator', '--timeout=180s']);
  }, minutes(10));

  it('reconciles the chart\'s Kafka (KRaft, one dual-role node, SCRAM listener, simple authorization) to Ready', async () => {
    expect(objects.find((o) => o.kind === 'Kafka')?.apiVersion).toBe('kafka.strimzi.io/v1');
    kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    await until('Kafka eventline Ready', () => (notReady('kafka').length === 0 ? true : undefined), minutes(12));
    const seconds = Math.round((Date.now() - installStarted) / 1000);
    process.stderr.write(`[strimzi.test] operator install started → Kafka Ready: ${seconds} s\n`);
    const kafka = JSON.parse(kubectl(['-n', namespace, 'get', 'kafka', 'eventline', '-o', 'json'])) as {
      status: { kafkaVersion: string; listeners: { name: string; bootstrapServers: string }[]; operatorLastSuccessfulVersion: string };
    };
    expect(kafka.status.kafkaVersion).toBe('4.3.1');
    expect(kafka.status.operatorLastSuccessfulVersion).toBe(strimziVersion);
    expect(kafka.status.listeners.map((l) => l.name)).toContain('scram');
    const broker = JSON.parse(kubectl(['-n', namespace, 'get', 'pod', 'eventline-dual-role-0', '-o', 'json'])) as {
      spec: { containers: { image: string }[]; securityContext?: unknown };
    };
    expect(broker.spec.containers[0]!.image).toBe(strimziKafkaRef);
  }, minutes(15));

  it('makes every KafkaTopic and KafkaUser Ready; the User Operator writes each service\'s SCRAM Secret', async () => {
    expect(topics.length).toBeGreaterThan(0);
    expect(users.length).toBeGreaterThan(0);
    await until('every KafkaTopic and KafkaUser Ready', () => {
      const waiting = [...notReady('kafkatopics'), ...notReady('kafkausers')];
      return waiting.length === 0 ? true : undefined;
    }, minutes(5));
    expect(notReady('kafkatopics')).toEqual([]);
    const listed = (JSON.parse(kubectl(['-n', namespace, 'get', 'kafkatopics', '-o', 'json'])) as StrimziList).items.map((t) => t.metadata.name);
    expect(listed.sort()).toEqual([...topics].sort());
    for (const user of users) {
      expect(secretValue(user, 'password').length).toBeGreaterThan(0);
      expect(secretValue(user, 'sasl.jaas.config')).toContain(`username="${user}"`);
    }
  }, minutes(6));

  it('lets user-service produce to users and refuses it orders (TOPIC_AUTHORIZATION_FAILED)', async () => {
    expect(users).toContain('user-service');
    const forward = await portForward(namespace, 'pod/eventline-dual-role-0', 9092);
    // The broker advertises its pod's DNS name: every connection goes through the port-forward.
    const throughForward: ISocketFactory = ({ onConnect }) => connect({ host: '127.0.0.1', port: forward.port }, onConnect);
    const kafka = new Kafka({
      clientId: 'strimzi-test', brokers: [`127.0.0.1:${forward.port}`], socketFactory: throughForward, logLevel: logLevel.NOTHING,
      sasl: { mechanism: 'scram-sha-512', username: 'user-service', password: secretValue('user-service', 'password') },
      retry: { retries: 2 },
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    try {
      await producer.connect();
      const [written] = await producer.send({ topic: 'users', messages: [{ key: 'strimzi-test', value: 'allowed' }] });
      expect(written?.errorCode).toBe(0);
      const refused = await producer.send({ topic: 'orders', messages: [{ key: 'strimzi-test', value: 'refused' }] }).then(() => undefined, (error: unknown) => error);
      expect(errorTypes(refused)).toContain('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await producer.disconnect();
      await forward.stop();
    }
  }, minutes(3));
});

/** The `type` of a kafkajs error and of every error it wraps (retries wrap the broker's answer). */
function errorTypes(error: unknown): string[] {
  const types: string[] = [];
  let current = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined;
  while (current) {
    if (current.type) types.push(current.type);
    current = (current.originalError ?? current.cause) as typeof current;
  }
  return types;
}
