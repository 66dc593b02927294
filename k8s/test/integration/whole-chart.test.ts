import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { startSecuredKafka, type SecuredKafka } from '@eventline/testkit';
import { clusterDown, clusterStatus, clusterUp } from '../../../infra/src/cluster/cluster';
import { nodeIp } from '../../../infra/src/cluster/host';
import { services } from '../../../infra/src/cluster/service-images';
import { buildThirdPartyImages } from '../../../infra/src/cluster/third-party-images';
import { isReady, kubectl, pods, portForward, skaffold, until, type PortForward } from './kube';

/**
 * The whole chart on the local cluster (issue 13), installed as a user does: `skaffold run -p local`
 * builds the eight images, pushes them to the cluster's registry and installs the chart with
 * values-local.yaml. Every server is real and built here: PostgreSQL, FerretDB on DocumentDB and
 * Apicurio in pods, and, until Strimzi runs on this cluster, a SCRAM Kafka of the test's own on the
 * node's address, which the pods reach like any external Kafka. Seed 000 through kubectl
 * port-forward; pods deleted mid-stream lose nothing and double nothing.
 */
const asRoot = userInfo().uid === 0;
const suite = asRoot ? describe : describe.skip;
const namespace = `eventline-chart-${randomBytes(3).toString('hex')}`;
const minutes = (n: number) => n * 60_000;
const kafkaServices = services.filter((s) => s !== 'config-service');

interface HttpResult { status: number; body: any }

async function call(base: string, method: string, path: string, body?: unknown): Promise<HttpResult> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** A port-forward to a Service that comes back when the pod behind it is replaced. */
async function forwardTo(service: string, port: number): Promise<PortForward> {
  return until(`port-forward to ${service}`, async () => {
    const forward = await portForward(namespace, `svc/${service}`, port);
    try {
      const health = await fetch(`http://127.0.0.1:${forward.port}/healthz`);
      if (health.ok) return forward;
    } catch { /* the pod behind it is not serving yet */ }
    await forward.stop();
    return undefined;
  }, 180_000);
}

function waitAllReady(timeoutMs: number): Promise<string[]> {
  return until('every pod of the release Ready', () => {
    const running = pods(namespace).filter((p) => p.metadata.labels?.['job-name'] === undefined);
    const names = running.filter(isReady).map((p) => p.metadata.name);
    return running.length > 0 && names.length === running.length ? names : undefined;
  }, timeoutMs);
}

suite('the whole chart on the local cluster (skaffold run -p local)', () => {
  let startedHere = false;
  let kafka: SecuredKafka;
  let kafkaDir: string;
  const forwards: PortForward[] = [];
  const base = { user: '', order: '', cart: '' };

  beforeAll(async () => {
    startedHere = (await clusterStatus()).rows.every((r) => r.pid === '-');
    await clusterUp();
    await buildThirdPartyImages();
    kubectl(['create', 'namespace', namespace]);
    // Each Kafka service's SCRAM user, and its password in the Secret the chart reads (Strimzi's
    // User Operator makes these; for an external Kafka its owner does).
    const passwords = Object.fromEntries(kafkaServices.map((s) => [s, randomBytes(12).toString('hex')]));
    kafkaDir = mkdtempSync(join(tmpdir(), 'eventline-chart-kafka-'));
    kafka = await startSecuredKafka(kafkaDir, passwords, { host: nodeIp(), superUsers: kafkaServices });
    for (const [service, password] of Object.entries(passwords)) {
      kubectl(['-n', namespace, 'create', 'secret', 'generic', service, `--from-literal=password=${password}`]);
    }
  }, minutes(30));

  afterAll(async () => {
    await Promise.all(forwards.map((f) => f.stop()));
    try {
      kubectl(['delete', 'namespace', namespace, '--wait=true', '--timeout=180s']);
    } finally {
      await kafka?.stop();
      if (kafkaDir) rmSync(kafkaDir, { recursive: true, force: true });
      if (startedHere) await clusterDown();
    }
  }, minutes(5));

  it('installs with skaffold run -p local: every pod Ready under the restricted security context, the schemas hook Job succeeded', async () => {
    skaffold(['run', '-p', 'local', '-n', namespace, '--status-check=true'], { EVENTLINE_KAFKA_BOOTSTRAP: kafka.broker });
    const ready = await waitAllReady(minutes(5));
    for (const name of [...services, 'postgres-0', 'mongo-0', 'schema-registry']) {
      expect(ready.some((pod) => pod === name || pod.startsWith(`${name}-`))).toBe(true);
    }
    const hook = JSON.parse(kubectl(['-n', namespace, 'get', 'jobs', '-o', 'json'])) as { items: { metadata: { name: string }; status: { succeeded?: number } }[] };
    expect(hook.items.filter((j) => j.metadata.name.includes('schemas')).map((j) => j.status.succeeded)).toEqual([1]);
    const specs = JSON.parse(kubectl(['-n', namespace, 'get', 'pods', '-l', 'app.kubernetes.io/component=service', '-o', 'json'])) as {
      items: { spec: { securityContext: { runAsUser: number }; containers: { image: string; securityContext: { readOnlyRootFilesystem: boolean } }[] } }[];
    };
    expect(specs.items).toHaveLength(services.length);
    for (const pod of specs.items) {
      expect(pod.spec.securityContext.runAsUser).toBe(1000);
      expect(pod.spec.containers[0]!.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(pod.spec.containers[0]!.image).toMatch(/^127\.0\.0\.1:\d+\/eventline-[a-z-]+:/);
    }
    // The Kafka services joined the broker outside the cluster with their own SCRAM users.
    const groups = (await kafka.client('admin', kafka.adminPassword).admin().listGroups()).groups.map((g) => g.groupId);
    expect(groups).toEqual(expect.arrayContaining(['order-service', 'cart-query', 'cart-aggregator']));
  }, minutes(30));

  it('answers seed 000 through kubectl port-forward: a PUT /user-service/update reaches the order in FerretDB', async () => {
    const user = await forwardTo('user-service', 8091);
    const order = await forwardTo('order-service', 8081);
    forwards.push(user, order);
    base.user = `http://127.0.0.1:${user.port}`;
    base.order = `http://127.0.0.1:${order.port}`;
    // order-service knows user 1 and product 1 once their ECST events arrived.
    const created = await until('an order for user 1 and product 1', async () => {
      const r = await call(base.order, 'POST', '/order-service/orders', { userId: 1, productId: 1, qty: 1 });
      return r.status === 201 ? r.body : undefined;
    }, 120_000);
    expect(created).toMatchObject({ user: { id: 1 }, product: { productId: 1 }, price: 300 });
    const update = await call(base.user, 'PUT', '/user-service/update', { id: 1, firstname: 'Neha', lastname: 'Parate', email: 'neha.parate@hotmail.com' });
    expect(update.status).toBe(200);
    const orders = await until('the new email in GET /order-service/all', async () => {
      const r = await call(base.order, 'GET', '/order-service/all');
      return r.body.find((o: { id: string; user: { email: string } }) => o.id === created.id)?.user.email === 'neha.parate@hotmail.com' ? r.body : undefined;
    }, 60_000);
    expect(orders.find((o: { id: string }) => o.id === created.id)).toMatchObject({ user: { id: 1, firstname: 'Neha', email: 'neha.parate@hotmail.com' }, product: { productId: 1 }, price: 300 });
  }, minutes(6));

  it('loses and doubles nothing when the consumers\' pods are deleted mid-stream (order-service, cart-aggregator)', async () => {
    const cart = await forwardTo('cart-service', 8093);
    forwards.push(cart);
    base.cart = `http://127.0.0.1:${cart.port}`;
    const customerId = `chart-${randomBytes(4).toString('hex')}`;
    const updates = 60;
    const adds = 120;
    let lastEmail = '';
    for (let i = 0; i < Math.max(updates, adds); i += 1) {
      if (i === 15) {
        // Mid-stream: both consumers go away; their replacements start from the committed offsets.
        kubectl(['-n', namespace, 'delete', 'pod', '-l', 'app.kubernetes.io/name in (order-service,cart-aggregator)', '--wait=false']);
      }
      if (i < updates) {
        lastEmail = `neha.${i}@example.com`;
        const r = await call(base.user, 'PUT', '/user-service/update', { id: 1, firstname: 'Neha', lastname: 'Parate', email: lastEmail });
        expect(r.status).toBe(200);
      }
      if (i < adds) {
        const r = await call(base.cart, 'POST', '/api/v1/add', { customerId, itemId: String(1 + (i % 2)), qty: 1 });
        expect(r.status).toBe(200);
      }
    }
    await waitAllReady(minutes(4));
    // order-service's forward died with its pod: a new one to the replacement.
    const order = await forwardTo('order-service', 8081);
    const cartQuery = await forwardTo('cart-query', 7000);
    forwards.push(order, cartQuery);
    const emails = await until('every order of user 1 on the last email', async () => {
      const all = (await call(`http://127.0.0.1:${order.port}`, 'GET', '/order-service/all')).body as { user: { id: number; email: string } }[];
      const mine = all.filter((o) => o.user.id === 1).map((o) => o.user.email);
      return mine.length > 0 && mine.every((e) => e === lastEmail) ? mine : undefined;
    }, 120_000);
    expect(new Set(emails)).toEqual(new Set([lastEmail]));
    // The cart: exactly `adds` items, split over the two products: none lost, none applied twice.
    const view = await until('the cart view with every add', async () => {
      const r = await call(`http://127.0.0.1:${cartQuery.port}`, 'GET', `/api/v1/${customerId}`);
      return r.status === 200 && r.body.version >= adds ? r.body : undefined;
    }, 120_000);
    expect(view.version).toBe(adds);
    const qty = Object.fromEntries((view.items as { itemId: string; qty: number }[]).map((item) => [item.itemId, item.qty]));
    expect(qty).toEqual({ 1: adds / 2, 2: adds / 2 });
  }, minutes(10));

  it('keeps FerretDB\'s data (DocumentDB on its PersistentVolumeClaim) when the mongo pod is deleted', async () => {
    const first = await forwardTo('order-service', 8081);
    forwards.push(first);
    const before = (await call(`http://127.0.0.1:${first.port}`, 'GET', '/order-service/all')).body as { id: string }[];
    expect(before.length).toBeGreaterThan(0);
    const uid = kubectl(['-n', namespace, 'get', 'pod', 'mongo-0', '-o', 'jsonpath={.metadata.uid}']);
    kubectl(['-n', namespace, 'delete', 'pod', 'mongo-0', '--wait=true']);
    await until('mongo-0 back and Ready', () => {
      const pod = pods(namespace, 'app.kubernetes.io/name=mongo').find((p) => p.metadata.name === 'mongo-0');
      return pod && isReady(pod) && kubectl(['-n', namespace, 'get', 'pod', 'mongo-0', '-o', 'jsonpath={.metadata.uid}']) !== uid ? true : undefined;
    }, 180_000);
    const order = await forwardTo('order-service', 8081);
    forwards.push(order);
    const after = await until('the orders again after the restart', async () => {
      const r = await call(`http://127.0.0.1:${order.port}`, 'GET', '/order-service/all');
      return r.status === 200 && r.body.length === before.length ? r.body : undefined;
    }, 120_000);
    expect(after.map((o: { id: string }) => o.id).sort()).toEqual(before.map((o: { id: string }) => o.id).sort());
  }, minutes(6));
});
