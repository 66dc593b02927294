import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildHeaders, ensureTopics, newEnvelope } from '@eventline/kafka';
import { startSecuredKafka, type SecuredKafka } from '@eventline/testkit';
import { kubeToolPaths } from '../../../infra/src/kube-tools';
import { repoRoot } from '../../../infra/src/settings';
import { clusterDown, clusterStatus, clusterUp } from '../../../infra/src/cluster/cluster';
import { ensureNodeBase } from '../../../infra/src/cluster/base-images';
import { buildAndPush } from '../../../infra/src/cluster/docker-images';
import { nodeIp } from '../../../infra/src/cluster/host';
import { imageCacheDir, registryHost } from '../../../infra/src/cluster/settings';
import { readRecords } from '../../../services/operator/test/integration/operator-fixture';
import { kubectl, clusterSuite } from './kube';
import { spawnSync } from 'node:child_process';

/**
 * eventline-operator on the real single-node cluster, deployed from the chart's own objects (its
 * ServiceAccount, Role, RoleBinding and Deployment, values-local.yaml): a Replay's Job runs on the real
 * kubelet, and a Redrive's Job (the operator's image, the redrive user) moves records in a SCRAM Kafka
 * on the node's address that the pods reach.
 * Own namespace, own image tag (`operator-dev`): the shared cluster's other images stay as they are.
 */
const suite = clusterSuite;
const namespace = `operator-dev-${randomBytes(3).toString('hex')}`;
const minutes = (n: number) => n * 60_000;
const tag = 'operator-dev';
const image = (service: string) => `${registryHost}/eventline-${service}:${tag}`;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: any;
}

function chartObjects(bootstrap: string): K8sObject[] {
  const result = spawnSync(
    kubeToolPaths().helm,
    [
      'template',
      'eventline',
      join(repoRoot, 'charts', 'eventline'),
      '-f',
      join(repoRoot, 'charts', 'eventline', 'values-local.yaml'),
      '--namespace',
      namespace,
      '--set',
      'kafka.strimzi=false',
      '--set',
      `kafka.external.bootstrapServers=${bootstrap}`,
      '--set',
      `services.operator.image=${image('operator')}`,
      '--set',
      `services.cart-aggregator.image=${image('cart-aggregator')}`,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as K8sObject)
    .filter((o) => o?.kind);
}

const apply = (objects: unknown[]) => kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
const get = (what: string) => JSON.parse(kubectl(['-n', namespace, 'get', what, '-o', 'json']));

suite('eventline-operator on the local cluster', () => {
  let startedHere = false;
  let kafka: SecuredKafka;
  let kafkaDir: string;
  // The operator's own user, its Redrive Jobs' user, and cart-aggregator's (whose pod template a Replay copies).
  const passwords = { operator: randomBytes(12).toString('hex'), 'operator-redrive': randomBytes(12).toString('hex'), 'cart-aggregator': randomBytes(12).toString('hex') };

  beforeAll(async () => {
    startedHere = (await clusterStatus()).rows.every((r) => r.pid === '-');
    await clusterUp();
    const nodeBase = await ensureNodeBase();
    for (const service of ['operator', 'cart-aggregator']) {
      await buildAndPush({
        ref: image(service),
        context: repoRoot,
        dockerfile: join(repoRoot, 'Dockerfile'),
        buildArgs: { SERVICE: service, NODE_IMAGE: nodeBase },
        logPath: join(imageCacheDir, `eventline-${service}-${tag}.log`),
      });
    }
    kafkaDir = mkdtempSync(join(tmpdir(), 'eventline-operator-kafka-'));
    kafka = await startSecuredKafka(kafkaDir, passwords, { host: nodeIp(), superUsers: Object.keys(passwords) });
    const admin = kafka.client('admin', kafka.adminPassword).admin();
    await admin.connect();
    await ensureTopics(
      admin,
      ['cart-events', 'products', 'cart-aggregator.changelog', 'orders'].map((name) => ({ name, partitions: 3, compacted: name !== 'cart-events' && name !== 'orders' })),
    );
    await admin.disconnect();
    kubectl(['apply', '-f', join(repoRoot, 'charts', 'eventline', 'crds')]);
    kubectl(['create', 'namespace', namespace]);
    for (const [service, password] of Object.entries(passwords)) kubectl(['-n', namespace, 'create', 'secret', 'generic', service, `--from-literal=password=${password}`]);
    const objects = chartObjects(kafka.broker);
    const pick = (kind: string, name: string) => {
      const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
      if (!found) throw new Error(`the chart renders no ${kind} ${name}`);
      return found;
    };
    // The operator as the chart deploys it (no config-service in this namespace: its URL left out).
    const deployment = pick('Deployment', 'operator');
    const container = deployment.spec.template.spec.containers[0];
    container.env = container.env.filter((e: { name: string }) => e.name !== 'CONFIG_SERVICE_URL');
    // cart-aggregator's StatefulSet, scaled to 0: the pod template a Replay's Job copies.
    const statefulSet = pick('StatefulSet', 'cart-aggregator');
    statefulSet.spec.replicas = 0;
    apply([pick('ServiceAccount', 'operator'), pick('Role', 'operator'), pick('RoleBinding', 'operator'), deployment, pick('ServiceAccount', 'cart-aggregator'), statefulSet]);
    kubectl(['-n', namespace, 'rollout', 'status', 'deployment/operator', '--timeout=300s']);
  }, minutes(30));

  afterAll(async () => {
    try {
      // The operator removes its finalizers: delete its resources while it still runs, then the namespace.
      kubectl(['-n', namespace, 'delete', 'replays,redrives', '--all', '--wait=true', '--timeout=120s']);
      kubectl(['delete', 'namespace', namespace, '--wait=true', '--timeout=180s']);
    } finally {
      await kafka?.stop();
      if (kafkaDir) rmSync(kafkaDir, { recursive: true, force: true });
      if (startedHere) await clusterDown();
    }
  }, minutes(5));

  it(
    'runs a Replay as a Job on the kubelet, owned by the Replay, and reports it Ready',
    async () => {
      kubectl(['-n', namespace, 'apply', '-f', '-'], 'apiVersion: eventline.dev/v1alpha1\nkind: Replay\nmetadata: { name: compare-carts }\nspec: { service: cart-aggregator }\n');
      kubectl(['-n', namespace, 'wait', '--for=condition=Ready', 'replay/compare-carts', '--timeout=300s']);
      const replay = get('replay/compare-carts');
      expect(replay.status).toMatchObject({ phase: 'CaughtUp', job: 'replay-compare-carts', lag: { total: 0 } });
      const job = get('job/replay-compare-carts');
      expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Replay', name: 'compare-carts', controller: true })]);
      expect(job.status.succeeded).toBe(1);
      const pod = JSON.parse(kubectl(['-n', namespace, 'get', 'pods', '-l', 'job-name=replay-compare-carts', '-o', 'json'])).items[0];
      expect(pod.spec.containers[0].image).toBe(image('cart-aggregator'));
      expect(kubectl(['-n', namespace, 'logs', pod.metadata.name])).toContain('"msg":"replay compared"');
      expect(kubectl(['-n', namespace, 'get', 'replays'])).toMatch(/compare-carts\s+cart-aggregator\s+CaughtUp\s+0\s+/);
    },
    minutes(8),
  );

  it(
    "moves dead letters back once, in a Job of the operator's image run as the redrive user",
    async () => {
      const admin = kafka.client('admin', kafka.adminPassword);
      const producer = admin.producer();
      await producer.connect();
      await producer.send({
        topic: 'orders.dlq',
        messages: Array.from({ length: 5 }, (_, i) => ({
          key: `o${i}`,
          value: `order ${i}`,
          headers: { ...buildHeaders(newEnvelope('OrderPlaced', 'test')), 'dlq-error': 'boom', 'dlq-source-topic': 'orders' },
        })),
      });
      await producer.disconnect();
      kubectl(['-n', namespace, 'apply', '-f', '-'], 'apiVersion: eventline.dev/v1alpha1\nkind: Redrive\nmetadata: { name: orders-back }\nspec: { topic: orders }\n');
      kubectl(['-n', namespace, 'wait', '--for=condition=Ready', 'redrive/orders-back', '--timeout=180s']);
      expect(get('redrive/orders-back').status).toMatchObject({ phase: 'Completed', recordsMoved: 5, recordsSkipped: 0 });
      const moved = await readRecords(admin, 'orders');
      expect(moved.map((m) => m.key?.toString()).sort()).toEqual(['o0', 'o1', 'o2', 'o3', 'o4']);
      expect(new Set(moved.map((m) => m.headers?.['redrive-by']?.toString()))).toEqual(new Set([`${namespace}/orders-back`]));
      const job = get('job/redrive-orders-back');
      expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Redrive', name: 'orders-back', controller: true })]);
      expect(job.status.succeeded).toBe(1);
      const pod = JSON.parse(kubectl(['-n', namespace, 'get', 'pods', '-l', 'batch.kubernetes.io/job-name=redrive-orders-back', '-o', 'json'])).items[0];
      const container = pod.spec.containers[0];
      expect(container.image).toBe(image('operator'));
      expect(container.env).toContainEqual({ name: 'KAFKA_SASL_USERNAME', value: 'operator-redrive' });
      // Its result, as the operator read it: the pod's termination message.
      expect(JSON.parse(pod.status.containerStatuses[0].state.terminated.message)).toEqual({ counts: { moved: 5, skipped: 0, matched: 5, alreadyMoved: 0 } });
    },
    minutes(5),
  );
});
