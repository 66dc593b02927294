import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type Admin } from 'kafkajs';
import { parseAllDocuments } from 'yaml';
import { loadCatalog, registerAll } from '@eventline/avro';
import { buildHeaders, newEnvelope } from '@eventline/kafka';
import {
  createDatabase,
  eventually,
  kubeTools,
  requestJson,
  runToolOk,
  startSecuredKafka,
  startNodeProcess,
  startServiceProcess,
  uniqueName,
  urls,
  type SecuredKafka,
  type ServiceProcess,
} from '@eventline/testkit';
import { readRecords } from '../../../../services/operator/test/integration/operator-fixture';

/**
 * The chart's KafkaTopics and KafkaUsers, applied to a real broker configured as the chart's Strimzi
 * Kafka (SCRAM-SHA-512, StandardAuthorizer, nothing allowed without an ACL) the way Strimzi's Topic
 * and User Operators would; then the services run on exactly those rights, with the chart's
 * environment. Proves the ACLs are enough for every service, and no more than what each uses.
 */
const repoRoot = join(__dirname, '..', '..', '..', '..');

interface Acl {
  resource: { type: 'topic' | 'group' | 'transactionalId'; name: string; patternType: 'literal' | 'prefix' };
  operations: string[];
}
interface Rendered {
  kind: string;
  metadata: { name: string };
  spec: any;
}

const rendered = parseAllDocuments(
  runToolOk(kubeTools().helm, ['template', 'eventline', join(repoRoot, 'charts', 'eventline'), '-f', join(repoRoot, 'charts', 'eventline', 'values-kind.yaml')]),
)
  .map((d) => d.toJS() as Rendered)
  .filter((o) => o?.kind);
const kafkaUsers = rendered.filter((o) => o.kind === 'KafkaUser');
const kafkaTopics = rendered.filter((o) => o.kind === 'KafkaTopic');
const passwords = Object.fromEntries(kafkaUsers.map((u) => [u.metadata.name, randomBytes(12).toString('hex')]));

const resourceType = { topic: AclResourceTypes.TOPIC, group: AclResourceTypes.GROUP, transactionalId: AclResourceTypes.TRANSACTIONAL_ID } as const;
const operations: Record<string, AclOperationTypes> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Describe: AclOperationTypes.DESCRIBE,
  Delete: AclOperationTypes.DELETE,
};
const operation = (name: string): AclOperationTypes => {
  const found = operations[name];
  if (found === undefined) throw new Error(`a KafkaUser grants ${name}, which this test does not map to a Kafka ACL operation yet`);
  return found;
};

/** What Strimzi's User Operator does with a KafkaUser's `authorization.acls`. */
async function applyAcls(admin: Admin): Promise<number> {
  const acl = kafkaUsers.flatMap((user) =>
    (user.spec.authorization.acls as Acl[]).flatMap((a) =>
      a.operations.map((op) => ({
        resourceType: resourceType[a.resource.type],
        resourceName: a.resource.name,
        resourcePatternType: a.resource.patternType === 'prefix' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
        principal: `User:${user.metadata.name}`,
        host: '*',
        operation: operation(op),
        permissionType: AclPermissionTypes.ALLOW,
      })),
    ),
  );
  await admin.createAcls({ acl });
  return acl.length;
}

describe("the chart's KafkaUsers on a broker that enforces them", () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventline-secured-kafka-'));
  let kafka: SecuredKafka;
  const services: Record<string, ServiceProcess> = {};

  beforeAll(async () => {
    kafka = await startSecuredKafka(dir, passwords);
    const admin = kafka.client('admin', kafka.adminPassword).admin();
    await admin.connect();
    // What the Topic Operator does with the KafkaTopics.
    await admin.createTopics({
      waitForLeaders: true,
      topics: kafkaTopics.map((t) => ({
        topic: t.spec.topicName,
        numPartitions: t.spec.partitions,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: t.spec.config['cleanup.policy'] }],
      })),
    });
    expect(await applyAcls(admin)).toBeGreaterThan(40);
    await admin.disconnect();
    const report = await registerAll(loadCatalog(), urls.registry);
    expect(report.ok).toBe(true);

    // The environment the chart gives each service, pointed at this broker.
    const chartEnv = (name: string) => ({
      KAFKA_BROKERS: kafka.broker,
      KAFKA_SASL_USERNAME: name,
      KAFKA_SASL_PASSWORD: passwords[name]!,
      KAFKA_ENSURE_TOPICS: 'false',
      SCHEMA_REGISTRY_URL: urls.registry,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'info',
    });
    const mongo = (name: string) => ({ MONGO_URL: urls.mongo, MONGO_DB: uniqueName(name) });
    const definitions: [string, NodeJS.ProcessEnv][] = [
      ['user-service', { ...chartEnv('user-service'), DATABASE_URL: await createDatabase('acl_users') }],
      ['product-service', { ...chartEnv('product-service'), DATABASE_URL: await createDatabase('acl_product') }],
      ['order-service', { ...chartEnv('order-service'), ...mongo('acl_orders') }],
      ['cart-service', { ...chartEnv('cart-service'), DATABASE_URL: await createDatabase('acl_cart') }],
      ['cart-aggregator', { ...chartEnv('cart-aggregator'), INSTANCE_ID: 'cart-aggregator-0' }],
      ['cart-query', { ...chartEnv('cart-query'), ...mongo('acl_carts') }],
      ['fulfillment-service', { ...chartEnv('fulfillment-service'), ...mongo('acl_fulfillment') }],
    ];
    const started = await Promise.all(definitions.map(([name, env]) => startServiceProcess(name, env)));
    for (const [i, [name]] of definitions.entries()) services[name] = started[i]!;
  }, 240_000);

  afterAll(async () => {
    await Promise.all(Object.values(services).map((s) => s.process.kill('SIGTERM')));
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets every service produce, join its groups and consume with only its own ACLs', async () => {
    // The operator needs a Kubernetes API to run, and its Redrive Jobs a Redrive: their users are checked on their own, below.
    expect(Object.keys(services).sort()).toEqual(
      kafkaUsers
        .map((u) => u.metadata.name)
        .filter((name) => !name.startsWith('operator'))
        .sort(),
    );
    for (const service of Object.values(services)) {
      await eventually(
        async () => (await requestJson(`${service.url}/readyz`)).status,
        (status) => status === 200,
        { timeoutMs: 90_000 },
      );
    }
  });

  it("lets the operator read the .dlq end offsets and its Jobs' group offsets, and write no record", async () => {
    const client = kafka.client('operator', passwords.operator!);
    const admin = client.admin();
    await admin.connect();
    try {
      // What the operator service does at start (it makes no producer: see `publishes: false`).
      await expect(admin.describeCluster()).resolves.toMatchObject({ brokers: [expect.anything()] });
      await expect(admin.fetchTopicOffsets('orders.dlq')).resolves.toHaveLength(3);
      await expect(admin.fetchOffsets({ groupId: 'operator.redrive-probe', topics: ['orders.dlq'] })).resolves.toHaveLength(1);
      // A Replay's progress: its Job's group against the read model's topic.
      await expect(admin.fetchOffsets({ groupId: 'cart-query.replay-probe', topics: ['cart-details'] })).resolves.toHaveLength(1);
      await expect(admin.fetchTopicOffsets('cart-details')).resolves.toHaveLength(3);
      await expect(admin.fetchOffsets({ groupId: 'cart-query', topics: ['cart-details'] })).rejects.toThrow('Failed to find group coordinator');
      const refused = await admin.fetchTopicMetadata({ topics: ['cart-aggregator.changelog'] }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(JSON.stringify(refused, Object.getOwnPropertyNames(refused ?? {})) + String(refused)).toMatch(/TOPIC_AUTHORIZATION_FAILED|not authorized/i);
    } finally {
      await admin.disconnect();
    }
    // Moving records is its Jobs' work, under their own user.
    const producer = client.producer();
    await producer.connect();
    await expect(producer.send({ topic: 'orders', messages: [{ key: 'x', value: 'y' }] })).rejects.toThrow(/authoriz/i);
    await producer.disconnect();
  });

  it("lets a Redrive's Job move dead letters back as the redrive user, with the command the Job runs", async () => {
    const admin = kafka.client('admin', kafka.adminPassword);
    const producer = admin.producer();
    await producer.connect();
    await producer.send({
      topic: 'orders.dlq',
      messages: ['a', 'b'].map((key) => ({
        key: `acl-${key}`,
        value: `order ${key}`,
        headers: { ...buildHeaders(newEnvelope('OrderPlaced', 'test')), 'dlq-error': 'boom', 'dlq-source-topic': 'orders' },
      })),
    });
    await producer.disconnect();
    const offsets = admin.admin();
    await offsets.connect();
    const ends = (await offsets.fetchTopicOffsets('orders.dlq')).map((p) => ({ partition: p.partition, offset: p.high }));
    await offsets.disconnect();
    const resultPath = join(dir, 'redrive-result');
    const job = startNodeProcess(
      ['services/operator/dist/redrive/command.js'],
      {
        KAFKA_BROKERS: kafka.broker,
        KAFKA_SASL_USERNAME: 'operator-redrive',
        KAFKA_SASL_PASSWORD: passwords['operator-redrive']!,
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        LOG_LEVEL: 'warn',
        REDRIVE: JSON.stringify({ namespace: 'acl', name: 'orders-back', uid: 'acl-uid', spec: { topic: 'orders' } }),
        REDRIVE_GROUP_ID: 'operator.redrive-acl-uid',
        REDRIVE_END_OFFSETS: JSON.stringify(ends),
        REDRIVE_RESULT_PATH: resultPath,
      },
      repoRoot,
    );
    expect(await job.exited).toBe(0);
    expect(JSON.parse(readFileSync(resultPath, 'utf8'))).toEqual({ counts: { moved: 2, skipped: 0, matched: 2, alreadyMoved: 0 } });
    const moved = await readRecords(admin, 'orders');
    expect(
      moved
        .filter((m) => m.headers?.['redrive-by']?.toString() === 'acl/orders-back')
        .map((m) => m.key?.toString())
        .sort(),
    ).toEqual(['acl-a', 'acl-b']);
  });

  it("runs seed 002's cart (products → cart-events → exactly-once aggregation → cart-details → read side)", async () => {
    const product = await requestJson<{ id: number }>(`${services['product-service']!.url}/product-service/products`, 'POST', {
      description: 'ACL phone',
      price: 650,
      qtyAvailable: 10,
    });
    expect(product.status).toBe(201);
    const customerId = uniqueName('c');
    await eventually(
      () => requestJson(`${services['cart-service']!.url}/api/v1/add`, 'POST', { customerId, itemId: String(product.body.id), qty: 2 }),
      (r) => r.status === 200 || r.status === 201,
      { what: 'cart-service knows the product', timeoutMs: 60_000 },
    );
    const cart = await eventually(
      () => requestJson(`${services['cart-query']!.url}/api/v1/${customerId}`),
      (r) => r.status === 200,
      { timeoutMs: 60_000 },
    );
    expect(cart.body).toMatchObject({ customerId, total: 1300, lines: [{ itemId: String(product.body.id), productName: 'ACL phone', qty: 2, lineTotal: 1300 }] });
  });

  it('runs the order saga (orders ⇄ inventory) and ECST of users into order-service', async () => {
    const product = await requestJson<{ id: number }>(`${services['product-service']!.url}/product-service/products`, 'POST', {
      description: 'ACL tablet',
      price: 300,
      qtyAvailable: 5,
    });
    const order = await eventually(
      () => requestJson<{ id: string }>(`${services['order-service']!.url}/order-service/orders`, 'POST', { userId: 1, productId: product.body.id, qty: 1 }),
      (r) => r.status === 201,
      { what: 'order-service knows user 1 and the product', timeoutMs: 60_000 },
    );
    await eventually(
      () => requestJson(`${services['order-service']!.url}/order-service/orders/${order.body.id}`),
      (r) => r.body?.status === 'APPROVED',
      { timeoutMs: 60_000 },
    );
    const checkin = await requestJson(`${services['fulfillment-service']!.url}/api/SOA/home/checkin`, 'POST', {
      internetNo: '8850049302',
      orderNo: '5960915_106347524.2',
      staffCode: 'cs_eng_ftth',
      jobStatus: 'homecheckedin',
      checkinLatitude: 13.7827811,
      checkinLongitude: 100.5465937,
      checkinDate: '2021-03-18 10:13:43',
    });
    expect(checkin.status).toBe(201);
  });

  it('refuses a service what its KafkaUser does not grant', async () => {
    const client = kafka.client('cart-query', passwords['cart-query']!);
    // Another service's topic.
    const producer = client.producer();
    await producer.connect();
    await expect(producer.send({ topic: 'users', messages: [{ key: 'x', value: 'y' }] })).rejects.toThrow(/authoriz/i);
    await producer.disconnect();
    // A consumer group outside its prefix: the same request succeeds for a group inside it (kafkajs
    // reports the refused FindCoordinator as "Failed to find group coordinator").
    const admin = client.admin();
    await admin.connect();
    await expect(admin.fetchOffsets({ groupId: 'cart-query.probe', topics: ['cart-details'] })).resolves.toHaveLength(1);
    await expect(admin.fetchOffsets({ groupId: 'order-service.users', topics: ['cart-details'] })).rejects.toThrow('Failed to find group coordinator');
    await admin.disconnect();
    // A wrong password.
    const stranger = kafka.client('cart-query', 'not-the-password').admin();
    await expect(stranger.connect()).rejects.toThrow(/SASL|authentic/i);
  });
});
