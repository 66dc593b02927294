import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Agent } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestRaw, type ContainerSample } from '@eventline/testkit';
import { kubeToolPaths } from '../../../infra/src/kube-tools';
import { kubeconfigPath } from '../../../infra/src/cluster/settings';
import { repoRoot } from '../../../infra/src/settings';
import { clusterDown, clusterStatus, clusterUp } from '../../../infra/src/cluster/cluster';
import { buildServiceImages, localServiceTag, serviceImageRef, services } from '../../../infra/src/cluster/service-images';
import { buildAndPush } from '../../../infra/src/cluster/docker-images';
import {
  clusterSuite,
  deleteStrimziNamespace,
  helm,
  isReady,
  kubectl,
  pods,
  podReplaced,
  podUid,
  portForward,
  removeStrimziOperatorOf,
  sleep,
  strimziOperatorFor,
  troubleOf,
  until,
  waitAllReady,
  type PortForward,
} from './kube';
import { cartRecordsIn } from './cart-records';
import { footprint, formatFootprint, sampleNamespace } from './footprint';
import { judgeReleaseConnections, knownConnections, policyCheckRequests, refusedConnections } from './live-connections';
import { deployExternalServers, type ExternalServers } from './staging-externals';
import { steadyLoad, type Answer } from './steady-load';
import { createTestAuthority, type TestAuthority } from './test-pki';

/**
 * `helm install` in staging, on this machine's cluster: values-staging.yaml as written, with only
 * k8s/staging/values-local-cluster.yaml's entries for this machine over it and the external servers'
 * addresses. Three Kafka brokers (KRaft node pool, RF 3, min ISR 2) that every service reaches over TLS
 * with SCRAM, trusting Strimzi's cluster CA; PostgreSQL, FerretDB and Apicurio outside the release,
 * reached only through the Secrets and URLs staging declares, PostgreSQL over TLS with verify-full
 * against a private CA; two replicas per service behind PodDisruptionBudgets; the Gateway on HTTPS.
 */
const suite = clusterSuite;
const id = randomBytes(3).toString('hex');
const namespace = `eventline-staging-${id}`;
const externalNamespace = `eventline-external-${id}`;
const release = 'eventline';
const hostname = 'eventline.staging.test';
const brokerPods = [0, 1, 2].map((n) => `eventline-dual-role-${n}`);
const minutes = (n: number) => n * 60_000;
/** The services values-staging.yaml gives a HorizontalPodAutoscaler. */
const autoscaled = ['user-service', 'cart-service'];

const secret = (name: string, data: Record<string, string>, type = 'Opaque') =>
  kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, type, stringData: data }));

suite('helm install in staging on the local cluster (values-staging.yaml)', () => {
  let startedHere = false;
  const created: string[] = [];
  let authority: TestAuthority;
  let externals: ExternalServers;
  let gateway: PortForward | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  /** Runs a wait; if it fails, prints what the named services warned of before rethrowing. */
  async function withLogsOnFailure<T>(services: string[], wait: () => Promise<T>): Promise<T> {
    try {
      return await wait();
    } catch (error) {
      for (const service of services) console.log(troubleOf(namespace, service, /saga|order|stock/i));
      throw error;
    }
  }

  /** `helm upgrade` of the release with the values it has, and `args` over them. */
  const upgradeRelease = (args: string[]) => helm(['upgrade', release, join(repoRoot, 'charts/eventline'), '-n', namespace, '--reuse-values', ...args]);

  /** A JSON call through the Gateway's HTTPS listener, verifying its certificate for the staging host name. */
  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { host: hostname };
    if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    const answer = await requestRaw({ host: '127.0.0.1', port: gateway!.port, path, method, headers, tls: { ca: authority.ca, servername: hostname, agent } }, payload);
    const text = answer.body.toString('utf8');
    // A gateway's own refusal (502 Bad Gateway) is plain text: kept as it came, with its status.
    if (text === '') return { status: answer.status, body: undefined };
    try {
      return { status: answer.status, body: JSON.parse(text) };
    } catch {
      return { status: answer.status, body: text };
    }
  }

  beforeAll(async () => {
    startedHere = (await clusterStatus()).rows.every((r) => r.pid === '-');
    await clusterUp();
    // `npm run cluster -- images`: the Node base, the services' images and the third-party ones.
    await buildServiceImages();
    for (const ns of [externalNamespace, namespace]) {
      kubectl(['create', 'namespace', ns]);
      created.push(ns);
    }
    await strimziOperatorFor(namespace);
    authority = createTestAuthority('eventline staging test CA');
    externals = deployExternalServers(externalNamespace, (names) => authority.issue(names));
    // What the platform team hands the release: the managed servers' credentials and CA, the
    // Gateway's certificate. values-staging.yaml names these Secrets.
    secret('eventline-postgres', { password: externals.postgresPassword });
    secret('eventline-postgres-ca', { 'ca.crt': authority.ca });
    secret('eventline-mongo', { url: externals.mongoUrl });
    const gatewayCertificate = authority.issue([hostname]);
    secret('eventline-staging-tls', { 'tls.crt': gatewayCertificate.cert, 'tls.key': gatewayCertificate.key }, 'kubernetes.io/tls');
    await waitAllReady(externalNamespace, minutes(6));
  }, minutes(30));

  afterAll(async () => {
    agent.destroy();
    await gateway?.stop();
    try {
      if (created.includes(namespace)) deleteStrimziNamespace(namespace);
      if (created.includes(externalNamespace)) kubectl(['delete', 'namespace', externalNamespace, '--wait=true', '--timeout=180s']);
    } finally {
      authority?.dispose();
      if (startedHere) await clusterDown();
    }
  }, minutes(10));

  /**
   * Steady cart adds and user updates through the HTTPS Gateway while `fault` runs (after 100 adds
   * were answered; 100 more after it ends); then every request must have succeeded, every user update
   * be applied once and reach order-service's copy, and every cart's view hold exactly its accepted
   * adds. `footprint`: sample every container's memory meanwhile, print the table, and fail a
   * container that reaches its limit.
   */
  async function faultUnderLoad(tag: string, what: string, fault: () => Promise<void>, options: { footprint: boolean }): Promise<void> {
    const customers = ['a', 'b', 'c', 'd', 'e', 'f'].map((c) => `${tag}-${c}-${id}`);
    const users = [1, 2, 3, 4];
    const before = new Map<number, number>();
    for (const userId of users) before.set(userId, ((await call('GET', `/user-service/users/${userId}`)).body as { version: number }).version);
    const adds = steadyLoad(
      4,
      (i) => ({ customerId: customers[i % customers.length]!, itemId: '1', qty: 1 }),
      (add) => call('POST', '/api/v1/add', add),
    );
    const updates = steadyLoad(
      1,
      (i) => ({ id: users[i % users.length]!, firstname: 'Broker', lastname: 'Fault', email: `user${users[i % users.length]}.update${i}@example.com` }),
      (update) => call('PUT', '/user-service/update', update),
    );
    // The kubelet's resource metrics every 5 s through the load: what staging's requests and limits are checked against.
    const samples: ContainerSample[][] = [];
    let sampling = options.footprint;
    const sampler = (async () => {
      while (sampling) {
        samples.push(sampleNamespace(namespace));
        await sleep(5_000);
      }
    })();
    const sampledFrom = Date.now();
    const counts = () =>
      `${what} under load: cart adds ${adds.accepted.length} accepted, ${adds.failed.length} failed; user updates ${updates.accepted.length} accepted, ${updates.failed.length} failed${
        adds.failed.length + updates.failed.length > 0
          ? `; the first failures: ${JSON.stringify([...adds.failed, ...updates.failed].slice(0, 5).map((f) => ({ atSecond: Math.round(f.atMs / 1000), status: f.status, body: f.body })))}`
          : ''
      }`;
    try {
      await adds.answersMore(100);
      await fault();
      await adds.answersMore(100);
    } catch (error) {
      // The counts so far, also when the fault's own checks fail.
      await Promise.all([adds.stop(), updates.stop()]);
      console.log(counts());
      throw error;
    } finally {
      sampling = false;
      await Promise.all([adds.stop(), updates.stop(), sampler]);
    }
    if (options.footprint) {
      const rows = footprint(namespace, samples, (Date.now() - sampledFrom) / 1000);
      console.log(`staging's footprint through the ${what} under load (${samples.length} samples):\n${formatFootprint(rows)}`);
      for (const row of rows.filter((r) => services.includes(r.app) || r.container === 'kafka')) {
        expect({ pod: row.pod, limited: row.limitBytes !== undefined, underLimit: row.peakBytes < (row.limitBytes ?? 0) }).toEqual({
          pod: row.pod,
          limited: true,
          underLimit: true,
        });
      }
    }
    console.log(counts());
    expect([...adds.failed, ...updates.failed]).toEqual([]);

    for (const userId of users) {
      const accepted = updates.accepted.filter((u) => u.id === userId);
      const now = (await call('GET', `/user-service/users/${userId}`)).body as { version: number; email: string };
      expect({ userId, version: now.version }).toEqual({ userId, version: before.get(userId)! + accepted.length });
    }
    const lastEmail = new Map(updates.accepted.map((u) => [u.id, u.email]));
    await until(
      "every user's last accepted email in order-service's orders",
      async () => {
        const all = (await call('GET', '/order-service/all')).body as { user: { id: number; email: string } }[];
        return users.every((userId) => !lastEmail.has(userId) || all.filter((o) => o.user.id === userId).every((o) => o.user.email === lastEmail.get(userId))) ? true : undefined;
      },
      minutes(3),
    );
    for (const customerId of customers) {
      const accepted = adds.accepted.filter((a) => a.customerId === customerId).length;
      const view = await until(
        `cart ${customerId} at version ${accepted}`,
        async () => {
          const r = await call('GET', `/api/v1/${customerId}?minVersion=${accepted}`);
          return r.status === 200 ? (r.body as { version: number; lines: unknown[] }) : undefined;
        },
        minutes(3),
      );
      const qty = (view.lines as { qty: number }[])[0]?.qty;
      if (view.version !== accepted || qty !== accepted) {
        // Which side lost them: the event stream as cart-service holds it, then the services' logs.
        const history = (await call('GET', `/cart-service/carts/${customerId}/events`)).body as
          | { events?: { version: number; type: string; data: { cartId?: string; qty?: number } }[] }
          | undefined;
        const events = history?.events ?? [];
        const stream = {
          events: events.length,
          versionsInOrder: events.every((e, i) => e.version === i + 1),
          cartIds: [...new Set(events.map((e) => e.data.cartId))],
          qty: events.reduce((total, e) => total + (e.data.qty ?? 0), 0),
        };
        const written = (await call('GET', `/cart-service/carts/${customerId}`)).body;
        // And the aggregator's output as Kafka holds it: where its quantity left the version.
        const readerOf = (topic: string) => pods(namespace, `app.kubernetes.io/name=${topic === 'cart-details' ? 'cart-query' : 'cart-aggregator'}`).find(isReady)!.metadata.name;
        // Each read on its own: one that fails says so and leaves the others to tell.
        const recordsOf = (topic: string) => {
          try {
            return cartRecordsIn(namespace, readerOf(topic), topic, [customerId]);
          } catch (error) {
            // The messages, not the stack frames between them.
            const lines = (error as Error).message.split('\n').filter((line) => !/^\s+at /.test(line));
            return `${topic} unread: ${lines.slice(-8).join(' ')}`;
          }
        };
        const outputs = ['cart-details', 'cart-aggregator.changelog'].map((topic) => {
          const records = recordsOf(topic);
          if (typeof records === 'string') return records;
          const first = records.findIndex((r) => r.qty['1'] !== r.version);
          return `${topic}: ${records.length} records, versions ${records[0]?.version}..${records.at(-1)?.version}, first off at ${first === -1 ? 'none' : JSON.stringify(records.slice(Math.max(0, first - 3), first + 3))}`;
        });
        // And its input: does cart-events hold every version, once each and in order? (The aggregator
        // takes an event at or below the cart's version as seen, so one overtaken by the next is lost.)
        const eventRecords = recordsOf('cart-events');
        if (typeof eventRecords === 'string') outputs.push(eventRecords);
        else {
          const versions = eventRecords.map((r) => r.version);
          const missing = Array.from({ length: accepted }, (_, i) => i + 1).filter((v) => !versions.includes(v));
          const overtaken = versions.filter((v, i) => versions.slice(0, i).some((earlier) => earlier > v));
          outputs.push(
            `cart-events: ${versions.length} records; versions missing ${JSON.stringify(missing)}; arriving after a higher one ${JSON.stringify(overtaken.slice(0, 20))}`,
          );
        }
        throw new Error(
          `cart ${customerId}: ${accepted} adds accepted, the view at version ${view.version} with qty ${qty}; the stream ${JSON.stringify(stream)}, its cart ${JSON.stringify(written)}\n${outputs.join('\n')}\n${troubleOf(namespace, 'cart-aggregator', /restored cart state|fenced|dead-letter|past the next version|read what they had|replacing/)}\n${troubleOf(namespace, 'cart-service')}`,
        );
      }
    }
  }

  it(
    'installs with helm install -f values-staging.yaml: three brokers over TLS with SCRAM, two replicas of every service behind PDBs, PostgreSQL over verified TLS only',
    async () => {
      const install = await helm([
        'install',
        release,
        join(repoRoot, 'charts/eventline'),
        '-n',
        namespace,
        '-f',
        join(repoRoot, 'charts/eventline/values-staging.yaml'),
        '-f',
        join(repoRoot, 'k8s/staging/values-local-cluster.yaml'),
        '--set',
        `postgres.host=${externals.postgresHost}`,
        '--set',
        `schemaRegistry.url=${externals.registryUrl}`,
        '--wait',
        '--timeout',
        '15m',
      ]);
      expect({ status: install.status, stderr: install.stderr }).toMatchObject({ status: 0 });
      const ready = await waitAllReady(namespace, minutes(5));
      for (const broker of brokerPods) expect(ready).toContain(broker);

      const kafka = JSON.parse(kubectl(['-n', namespace, 'get', 'kafka', 'eventline', '-o', 'json']));
      expect(kafka.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]));
      expect(kafka.spec.kafka.config).toMatchObject({ 'default.replication.factor': 3, 'min.insync.replicas': 2 });
      expect(kafka.spec.kafka.listeners).toEqual(expect.arrayContaining([expect.objectContaining({ port: 9093, tls: true, authentication: { type: 'scram-sha-512' } })]));
      const topic = JSON.parse(kubectl(['-n', namespace, 'get', 'kafkatopic', 'cart-events', '-o', 'json']));
      expect(topic.spec).toMatchObject({ partitions: 12, replicas: 3 });

      for (const service of services.filter((s) => !autoscaled.includes(s))) {
        const instances = ready.filter((pod) => pod.startsWith(`${service}-`));
        expect({ service, instances: instances.length }).toEqual({ service, instances: service === 'cart-aggregator' ? 3 : 2 });
      }
      // The HPAs' services: at least their minimum (their start-up CPU may scale them out for a while).
      for (const service of autoscaled) expect({ service, atLeastTwo: ready.filter((pod) => pod.startsWith(`${service}-`)).length >= 2 }).toEqual({ service, atLeastTwo: true });
      const userService = JSON.parse(kubectl(['-n', namespace, 'get', 'deployment', 'user-service', '-o', 'json']));
      const env = Object.fromEntries(userService.spec.template.spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
      expect(env.KAFKA_BROKERS).toBe(`eventline-kafka-bootstrap:9093`);
      expect(env.KAFKA_TLS_CA_FILE).toBe('/etc/eventline/kafka-ca/ca.crt');
      expect(env.DATABASE_URL).toBe(`postgresql://eventline@${externals.postgresHost}:5432/users?sslmode=verify-full&sslrootcert=/etc/eventline/postgres-ca/ca.crt`);
      const budgets = JSON.parse(kubectl(['-n', namespace, 'get', 'pdb', '-o', 'json'])).items as { metadata: { name: string }; status: { disruptionsAllowed: number } }[];
      // The services' own, and Strimzi's for the brokers and its entity operator.
      expect(budgets.map((b) => b.metadata.name).sort()).toEqual([...services, 'eventline-kafka', 'eventline-entity-operator'].sort());
      for (const budget of budgets.filter((b) => services.includes(b.metadata.name)))
        expect({ pdb: budget.metadata.name, allowed: budget.status.disruptionsAllowed >= 1 }).toEqual({ pdb: budget.metadata.name, allowed: true });
      const autoscalers = JSON.parse(kubectl(['-n', namespace, 'get', 'hpa', '-o', 'json'])).items.map((h: { metadata: { name: string } }) => h.metadata.name);
      expect(autoscalers.sort()).toEqual([...autoscaled].sort());

      // Every service connection to the external PostgreSQL is TLS (it refuses any other, too).
      const connections = kubectl([
        '-n',
        externalNamespace,
        'exec',
        'postgres-0',
        '--',
        'psql',
        '-U',
        'eventline',
        '-d',
        'postgres',
        '-Atc',
        "SELECT a.datname, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.client_addr IS NOT NULL AND a.datname IN ('users', 'product', 'cart')",
      ])
        .split('\n')
        .filter(Boolean);
      expect(new Set(connections.map((row) => row.split('|')[0]))).toEqual(new Set(['users', 'product', 'cart']));
      expect(connections.filter((row) => !row.endsWith('|t'))).toEqual([]);
    },
    minutes(25),
  );

  it(
    'answers seeds 000 and 002 through the HTTPS Gateway, its certificate verified for the staging host; a checkout runs the saga to APPROVED',
    async () => {
      gateway = await portForward('traefik', 'svc/traefik', 443);
      const user = await until(
        'user 1 through the Gateway',
        async () => {
          const r = await call('GET', '/user-service/users/1').catch(() => undefined);
          return r?.status === 200 ? (r.body as { version: number }) : undefined;
        },
        minutes(2),
      );
      expect(user.version).toBeGreaterThanOrEqual(1);
      for (const userId of [1, 2, 3, 4]) expect((await call('POST', '/order-service/orders', { userId, productId: 2, qty: 1 })).status).toBe(201);
      const email = `staging.${id}@example.com`;
      expect((await call('PUT', '/user-service/update', { id: 1, firstname: 'Staging', lastname: 'Test', email })).status).toBe(200);
      await until(
        "user 1's new email in order-service's orders",
        async () => {
          const all = (await call('GET', '/order-service/all')).body as { user: { id: number; email: string } }[];
          return all.some((o) => o.user.id === 1) && all.filter((o) => o.user.id === 1).every((o) => o.user.email === email) ? true : undefined;
        },
        minutes(2),
      );

      const customerId = '2';
      for (const itemId of ['1', '1', '2']) expect((await call('POST', '/api/v1/add', { customerId, itemId, qty: 1 })).status).toBe(200);
      const removed = await call('POST', '/api/v1/remove', { customerId, itemId: '2', qty: 1 });
      expect(removed.status).toBe(200);
      const version = (removed.body as { version: number }).version;
      const cart = await until(
        'the cart on cart-query',
        async () => {
          const r = await call('GET', `/api/v1/${customerId}?minVersion=${version}`);
          return r.status === 200 ? (r.body as { cartId: string; lines: unknown[] }) : undefined;
        },
        minutes(1),
      );
      expect(cart.lines).toEqual([expect.objectContaining({ itemId: '1', qty: 2 })]);
      expect((await call('POST', '/api/v1/checkout', { customerId })).body).toMatchObject({ status: 'CHECKED_OUT', cartId: cart.cartId });
      const order = await withLogsOnFailure(['order-service', 'product-service', 'cart-service'], () =>
        until(
          "the checkout's order APPROVED",
          async () => {
            const r = await call('GET', `/order-service/orders?userId=${customerId}`);
            const orders = r.body as { cartId?: string; status: string }[];
            const approved = orders.find((o) => o.cartId === cart.cartId && o.status === 'APPROVED');
            // Thrown rather than returned, so that a timeout names what order-service last held for the cart.
            if (!approved) throw new Error(`order-service holds for the cart: ${JSON.stringify(orders.filter((o) => o.cartId === cart.cartId))}`);
            return approved;
          },
          minutes(2),
        ),
      );
      expect(order).toMatchObject({ cartId: cart.cartId, qty: 2 });
    },
    minutes(8),
  );

  it(
    'holds no connection its NetworkPolicies would refuse: every socket of every service pod, Kafka over TLS and the external servers among them (no enforcer runs here)',
    async () => {
      const judged = await judgeReleaseConnections(namespace, async () => {
        for (const [method, path, body] of policyCheckRequests) {
          expect((await call(method, path, body)).status).toBeLessThan(500);
        }
      });
      expect(refusedConnections(judged)).toEqual([]);
      // What each service is known to talk to was among the judged, under its own policy's egress: the
      // brokers on the TLS listener, the datastores in their own namespace through externalEgress.
      const expected = knownConnections({
        namespace,
        kafka: { at: `${namespace}/kafka`, port: 9093 },
        postgres: `${externalNamespace}/postgres`,
        mongo: `${externalNamespace}/mongo`,
      });
      expect([...judged.keys()]).toEqual(expect.arrayContaining(expected));
      for (const key of expected.filter((k) => !k.startsWith('traefik/')))
        expect({ key, egress: judged.get(key)!.verdict.egress }).toEqual({ key, egress: { isolated: true, allowedBy: [expect.any(String)] } });
    },
    minutes(5),
  );

  it(
    "scales user-service out under load through the Gateway and back once it ends (its HPA on metrics-server's CPU), failing no request",
    async () => {
      interface Autoscaler {
        status: { currentReplicas?: number; desiredReplicas?: number; currentMetrics?: { resource?: { current?: { averageUtilization?: number } } }[] };
      }
      const autoscaler = () => JSON.parse(kubectl(['-n', namespace, 'get', 'hpa', 'user-service', '-o', 'json'])) as Autoscaler;
      const utilization = (hpa: Autoscaler) => hpa.status.currentMetrics?.[0]?.resource?.current?.averageUtilization;
      const readyReplicas = () => Number(kubectl(['-n', namespace, 'get', 'deployment', 'user-service', '-o', 'jsonpath={.status.readyReplicas}'])) || 0;
      // Settled first: metrics read, and back at its minimum after the start-up's CPU.
      await until(
        "user-service's HPA at rest with metrics",
        () => {
          const hpa = autoscaler();
          return utilization(hpa) !== undefined && hpa.status.desiredReplicas === 2 && readyReplicas() === 2 ? true : undefined;
        },
        minutes(5),
      );
      const users = [1, 2, 3, 4];
      const before = new Map<number, number>();
      for (const userId of users) before.set(userId, ((await call('GET', `/user-service/users/${userId}`)).body as { version: number }).version);
      const updates = steadyLoad(
        8,
        (i) => ({ id: users[i % users.length]!, firstname: 'Scale', lastname: 'Out', email: `user${users[i % users.length]}.scale${i}@example.com` }),
        (update) => call('PUT', '/user-service/update', update),
      );
      let peak = 2;
      let peakUtilization = 0;
      try {
        await until(
          'user-service scaled out by its HPA, the new pods Ready',
          () => {
            const hpa = autoscaler();
            peakUtilization = Math.max(peakUtilization, utilization(hpa) ?? 0);
            peak = Math.max(peak, readyReplicas());
            return peak > 2 ? true : undefined;
          },
          minutes(5),
        );
        await updates.answersMore(200);
      } finally {
        await updates.stop();
      }
      const scaledOutAt = Date.now();
      await until('user-service back at its minimum of 2', () => (autoscaler().status.desiredReplicas === 2 && readyReplicas() === 2 ? true : undefined), minutes(5));
      console.log(
        `HPA: user-service 2 → ${peak} pods at ${peakUtilization}% of its CPU request, back to 2 ${Math.round((Date.now() - scaledOutAt) / 1000)} s after the load; updates ${updates.accepted.length} accepted, ${updates.failed.length} failed`,
      );
      expect(updates.failed).toEqual([]);
      for (const userId of users) {
        const accepted = updates.accepted.filter((u) => u.id === userId).length;
        const now = (await call('GET', `/user-service/users/${userId}`)).body as { version: number };
        expect({ userId, version: now.version }).toEqual({ userId, version: before.get(userId)! + accepted });
      }
    },
    minutes(15),
  );

  it(
    'refuses an eviction that would break a PodDisruptionBudget (minAvailable 1 of 2)',
    async () => {
      const [first, second] = pods(namespace, 'app.kubernetes.io/name=order-service')
        .filter(isReady)
        .map((p) => p.metadata.name);
      expect(second).toBeDefined();
      const evict = (pod: string) =>
        spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, 'create', '--raw', `/api/v1/namespaces/${namespace}/pods/${pod}/eviction`, '-f', '-'], {
          input: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace } }),
          encoding: 'utf8',
        });
      const allowed = evict(first!);
      expect({ status: allowed.status, stderr: allowed.stderr }).toMatchObject({ status: 0 });
      // The first eviction took the budget's one disruption: its replacement is not Ready yet.
      const refused = evict(second!);
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/disruption budget|TooManyRequests|429/);
      expect(pods(namespace).some((p) => p.metadata.name === second && !p.metadata.deletionTimestamp)).toBe(true);
      await waitAllReady(namespace, minutes(4));
    },
    minutes(6),
  );

  it(
    'loses, doubles and fails nothing when one broker pod is deleted under steady cart adds and user updates through the HTTPS Gateway (counted); every container stays under its memory limit meanwhile (the footprint printed)',
    () =>
      faultUnderLoad(
        'broker',
        'broker pod deleted',
        async () => {
          const victim = brokerPods[1]!;
          const uid = podUid(namespace, victim);
          kubectl(['-n', namespace, 'delete', 'pod', victim, '--wait=false']);
          await podReplaced(namespace, victim, uid, 'Strimzi brought the deleted broker back', minutes(6));
        },
        { footprint: true },
      ),
    minutes(15),
  );

  it(
    'loses, doubles and fails nothing across a rolling restart of all three brokers by Strimzi for a broker config change made with helm upgrade, under steady cart adds and user updates through the HTTPS Gateway (counted)',
    () =>
      faultUnderLoad(
        'roll',
        'rolling restart of the brokers',
        async () => {
          const uids = new Map(brokerPods.map((broker) => [broker, podUid(namespace, broker)]));
          // Each service pod's template revision: an autoscaler's new pod keeps it, a rollout's does not.
          const serviceRevisions = () =>
            new Set(
              pods(namespace, 'app.kubernetes.io/component=service').map(
                ({ metadata: { labels = {} } }) => `${labels['app.kubernetes.io/name']}@${labels['pod-template-hash'] ?? labels['controller-revision-hash']}`,
              ),
            );
          const before = serviceRevisions();
          // queued.max.requests is read-only in a running broker: Strimzi rolls every broker to apply it.
          // helm without --wait: it changes the Kafka resource and returns, and the roll runs through
          // the load (k8s/README.md, "What the roll under load found").
          const started = Date.now();
          const upgrade = await upgradeRelease(['--set-json', 'kafka.config={"queued.max.requests":600}', '--timeout', '10m']);
          expect({ status: upgrade.status, stderr: upgrade.stderr }).toMatchObject({ status: 0 });
          for (const broker of brokerPods) await podReplaced(namespace, broker, uids.get(broker)!, `Strimzi rolled ${broker}`, minutes(10));
          await until(
            'the Kafka Ready with the new config',
            async () => {
              const kafka = JSON.parse(kubectl(['-n', namespace, 'get', 'kafka', 'eventline', '-o', 'json']));
              const ready = (kafka.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
              return ready && kafka.status.observedGeneration === kafka.metadata.generation ? true : undefined;
            },
            minutes(5),
          );
          console.log(`Strimzi rolled the three brokers in ${Math.round((Date.now() - started) / 1000)} s`);
          // A broker change only: the upgrade rolled no service.
          expect([...serviceRevisions()].filter((revision) => !before.has(revision))).toEqual([]);
        },
        { footprint: false },
      ),
    minutes(30),
  );

  it(
    'loses, doubles and fails nothing while helm upgrade rolls every service to a new image and helm rollback rolls them back, under steady cart adds and user updates through the HTTPS Gateway (counted)',
    async () => {
      const history = async () => JSON.parse((await helm(['history', release, '-n', namespace, '-o', 'json'])).stdout) as { revision: number; status: string }[];
      // A release's new version, as a user ships it: every service's image under a new tag (the
      // running image with one label more, so a digest of its own), then `--set image.tag`.
      const tag = `rollout-${id}`;
      const context = mkdtempSync(join(tmpdir(), 'eventline-rollout-'));
      try {
        for (const service of services) {
          writeFileSync(join(context, 'Dockerfile'), `FROM ${serviceImageRef(service)}\nLABEL dev.eventline.rollout="${tag}"\n`);
          await buildAndPush({ ref: serviceImageRef(service, tag), context, logPath: join(context, 'build.log') });
        }
      } finally {
        rmSync(context, { recursive: true, force: true });
      }
      /** Every service pod Ready on `tag`'s image, none left terminating. */
      const allOn = (what: string, imageTag: string) =>
        until(
          what,
          () => {
            const servicePods = pods(namespace, 'app.kubernetes.io/component=service');
            const off = servicePods.filter((pod) => pod.metadata.deletionTimestamp || !isReady(pod) || !pod.spec.containers[0]!.image.endsWith(`:${imageTag}`));
            return servicePods.length > 0 && off.length === 0 ? true : undefined;
          },
          minutes(5),
        );
      const previous = (await history()).at(-1)!.revision;
      const timings: string[] = [];
      await faultUnderLoad(
        'upgrade',
        'helm upgrade of every service to a new image, then helm rollback',
        async () => {
          let started = Date.now();
          const upgrade = await upgradeRelease(['--set', `image.tag=${tag}`, '--wait', '--timeout', '10m']);
          expect({ status: upgrade.status, stderr: upgrade.stderr }).toMatchObject({ status: 0 });
          await allOn('every service pod Ready on its new image', tag);
          timings.push(`upgrade ${Math.round((Date.now() - started) / 1000)} s`);
          started = Date.now();
          const rollback = await helm(['rollback', release, String(previous), '-n', namespace, '--wait', '--timeout', '10m']);
          expect({ status: rollback.status, stderr: rollback.stderr }).toMatchObject({ status: 0 });
          await allOn('every service pod Ready on its previous image again', localServiceTag);
          timings.push(`rollback ${Math.round((Date.now() - started) / 1000)} s`);
        },
        { footprint: false },
      );
      console.log(`helm upgrade and rollback under load: ${timings.join(', ')}`);
      const revisions = await history();
      expect(revisions.slice(-2).map((r) => r.status)).toEqual(['superseded', 'deployed']);
    },
    minutes(30),
  );

  it(
    'helm uninstall removes the release, and both namespaces delete',
    async () => {
      const uninstall = await helm(['uninstall', release, '-n', namespace, '--wait', '--timeout', '6m']);
      expect({ status: uninstall.status, stderr: uninstall.stderr }).toMatchObject({ status: 0 });
      // Strimzi's operator is a release of its own and stays until it is uninstalled. Pods take their
      // grace period to go.
      await until(
        "the release's pods gone",
        () => (kubectl(['-n', namespace, 'get', 'pods', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name']).trim() === '' ? true : undefined),
        minutes(3),
      );
      for (const kind of ['kafkatopics,kafkausers,kafkas,kafkanodepools', 'deployments,statefulsets,jobs,pods', 'services,secrets,configmaps,networkpolicies,pdb,hpa']) {
        const left = kubectl(['-n', namespace, 'get', kind, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name']).trim();
        expect({ kind, left }).toEqual({ kind, left: '' });
      }
      expect(kubectl(['-n', namespace, 'get', 'kafkatopics,kafkausers,kafkas,kafkanodepools', '-o', 'name']).trim()).toBe('');
      removeStrimziOperatorOf(namespace);
      kubectl(['delete', 'namespace', namespace, '--wait=true', '--timeout=180s']);
      created.splice(created.indexOf(namespace), 1);
      expect(spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, 'get', 'namespace', namespace]).status).not.toBe(0);
    },
    minutes(12),
  );
});
