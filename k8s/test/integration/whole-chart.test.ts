import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { Kafka, logLevel, type ISocketFactory } from 'kafkajs';
import { ancestry, clientTraceparent, promQuery, requestRaw, SAGA_APPROVAL_CHAIN, sagaApprovalChain, spanLabel, storedTrace, type StoredSpan } from '@eventline/testkit';
import { kubeToolPaths } from '../../../infra/src/kube-tools';
import { kubeconfigPath, registryHost, sockets } from '../../../infra/src/cluster/settings';
import { buildAndPush } from '../../../infra/src/cluster/docker-images';
import { repoRoot } from '../../../infra/src/settings';
import { projectNodeVersion } from '../../../infra/src/node-version';
import { catalogSubjects, loadCatalog } from '@eventline/avro';
import { clusterDown, clusterStatus, clusterUp } from '../../../infra/src/cluster/cluster';
import { strimziVersion } from '../../../infra/src/cluster/strimzi-build';
import { strimziKafkaRef, strimziOperatorRef } from '../../../infra/src/cluster/strimzi-images';
import { services } from '../../../infra/src/cluster/service-images';
import { buildThirdPartyImages } from '../../../infra/src/cluster/third-party-images';
import { ensureNodeBase } from '../../../infra/src/cluster/base-images';
import {
  clusterSuite,
  deleteStrimziNamespace,
  errorTypes,
  helm,
  isReady,
  kubectl,
  pods,
  podReplaced,
  podUid,
  portForward,
  removeStrimziOperatorOf,
  skaffold,
  sleep,
  strimziOperatorFor,
  troubleIn as troubleInNamespace,
  until,
  waitAllReady,
  type PortForward,
} from './kube';
import { judgeReleaseConnections, type JudgedConnection, knownConnections, policyCheckRequests, refusedConnections } from './live-connections';
import { footprint, formatFootprint, sampleNamespace } from './footprint';
import { cartRecordsIn } from './cart-records';

/**
 * The whole chart on the local cluster, installed as a user does: the Strimzi
 * operator from Strimzi's chart (built from the vendored source), then `skaffold run -p local`, which
 * builds the eight images, pushes them to the cluster's registry and installs the chart with
 * values-local.yaml. Every server is real and built here: Kafka reconciled by Strimzi (KRaft, SCRAM,
 * ACLs per service), PostgreSQL, FerretDB on DocumentDB, Apicurio, Traefik as the Gateway. Seed 000
 * through kubectl port-forward and through the Gateway; the broker pod and the consumers' pods deleted
 * mid-stream lose nothing and double nothing.
 */
const suite = clusterSuite;
const namespace = `eventline-chart-${randomBytes(3).toString('hex')}`;
/**
 * The release is not named eventline, so every name it makes carries the release's prefix
 * (`shop-user-service`, …): the chart's cross-references under a prefix are what runs here, while the
 * skaffold and cluster suites run the unprefixed names of the documented `eventline` release.
 */
const release = 'shop';
const named = (name: string) => `${release}-${name}`;
const kafkaCluster = named('eventline');
const brokerPod = `${kafkaCluster}-${named('dual-role')}-0`;
const minutes = (n: number) => n * 60_000;

interface HttpResult {
  status: number;
  body: any;
}

/**
 * The host name the release's Gateway listens for, when this cluster has another release whose Gateway
 * takes any host (a developer's, in `eventline`): two Gateways of one Traefik that take any host share
 * their paths, and the older one's routes answer. Unset (the seeds' calls exactly as written, no host)
 * when the Gateway has Traefik to itself.
 */
let gatewayHost: string | undefined;

/** Gateways of other namespaces with a listener for any host. */
function gatewaysTakingAnyHost(except: string): string[] {
  const list = JSON.parse(kubectl(['get', 'gateways', '--all-namespaces', '-o', 'json'])) as {
    items: { metadata: { namespace: string; name: string }; spec: { listeners: { hostname?: string }[] } }[];
  };
  return list.items.filter((g) => g.metadata.namespace !== except && g.spec.listeners.some((l) => !l.hostname)).map((g) => `${g.metadata.namespace}/${g.metadata.name}`);
}

/** A JSON call; through the Gateway with its host name when it has one (fetch cannot set Host; the services ignore it). */
async function call(base: string, method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<HttpResult> {
  const { hostname, port } = new URL(base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = { ...extraHeaders, host: gatewayHost ?? `${hostname}:${port}` };
  if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  const answer = await requestRaw({ host: hostname, port: Number(port), path, method, headers }, payload);
  const text = answer.body.toString('utf8');
  return { status: answer.status, body: text === '' ? undefined : JSON.parse(text) };
}

/**
 * GET on a connection of its own. The test's event loop stalls while a synchronous kubectl runs; a
 * kept-alive connection idle past the server's keep-alive timeout meanwhile is closed by the server,
 * and a request sent on it fails before reaching the service (what a read of the service must not
 * be blamed for).
 */
async function getOnNewConnection(port: number, path: string): Promise<HttpResult> {
  const answer = await requestRaw({ host: '127.0.0.1', port, path, agent: false });
  const text = answer.body.toString('utf8');
  return { status: answer.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** A port-forward to a Service that comes back when the pod behind it is replaced; ready once `healthPath` answers. */
async function forwardTo(service: string, port: number, healthPath = '/healthz'): Promise<PortForward> {
  return until(
    `port-forward to ${service}`,
    async () => {
      const forward = await portForward(namespace, `svc/${named(service)}`, port);
      try {
        const health = await fetch(`http://127.0.0.1:${forward.port}${healthPath}`);
        if (health.ok) return forward;
      } catch {
        /* the pod behind it is not serving yet */
      }
      await forward.stop();
      return undefined;
    },
    180_000,
  );
}

/**
 * A Kafka client as one of the release's KafkaUsers (its password from the User Operator's Secret),
 * through a port-forward to the broker pod: the broker advertises its pod's DNS name, so every
 * connection is sent through the forward.
 */
async function kafkaAs(service: string): Promise<{ kafka: Kafka; stop: () => Promise<void> }> {
  const user = named(service);
  const password = Buffer.from(kubectl(['-n', namespace, 'get', 'secret', user, '-o', 'jsonpath={.data.password}']), 'base64').toString();
  const forward = await portForward(namespace, `pod/${brokerPod}`, 9092);
  const throughForward: ISocketFactory = ({ onConnect }) => connect({ host: '127.0.0.1', port: forward.port }, onConnect);
  const kafka = new Kafka({
    clientId: 'whole-chart-test',
    brokers: [`127.0.0.1:${forward.port}`],
    socketFactory: throughForward,
    logLevel: logLevel.NOTHING,
    sasl: { mechanism: 'scram-sha-512', username: user, password },
    retry: { retries: 2 },
  });
  return { kafka, stop: () => forward.stop() };
}

/** Runs a script with node inside a pod of the release's Deployment, in its image, environment and credentials. */
function nodeIn(deployment: string, script: string): string {
  return kubectl(['-n', namespace, 'exec', `deployment/${named(deployment)}`, '--', 'node', '-e', script]);
}

/** cart-query's leftover rebuild collections, listed from inside its own pod. */
const rebuildCollections = (): string[] =>
  JSON.parse(
    nodeIn(
      'cart-query',
      `
  const { MongoClient } = require('mongodb');
  (async () => {
    const client = await new MongoClient(process.env.MONGO_URL).connect();
    const found = await client.db(process.env.MONGO_DB).listCollections({ name: { $regex: '^cart_view_rebuild_' } }).toArray();
    console.log(JSON.stringify(found.map((c) => c.name)));
    await client.close();
  })().catch((error) => { console.error(error); process.exit(1); });`,
    ),
  ) as string[];

/** A workload's last warnings and errors in the release's namespace. */
const troubleIn = (target: string): string => troubleInNamespace(namespace, target);

/** What a trace missing from Zipkin explains itself with: the Collector's and Zipkin's restarts and last log lines (neither logs pino JSON). */
function tracePipelineTrouble(): string {
  return ['otel-collector', 'zipkin']
    .map((name) => {
      const restarts = pods(namespace, `app.kubernetes.io/name=${name}`).map((p) => `${p.metadata.name} restarts ${p.status.containerStatuses?.[0]?.restartCount ?? '?'}`);
      const log = spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, '-n', namespace, 'logs', `deploy/${named(name)}`, '--tail=20'], { encoding: 'utf8' });
      return `${name}: ${restarts.join(', ')}\n${log.stdout.slice(-6000)}${log.stderr.slice(-500)}`;
    })
    .join('\n');
}

/** cart-query's view of a cart once it reaches `version`; a wait that times out explains itself with `trouble()`. */
async function cartViewAt(cartQueryPort: number, customerId: string, version: number, trouble: () => string): Promise<any> {
  let seen: unknown;
  return until(
    `cart ${customerId} at version ${version}`,
    async () => {
      const r = await call(`http://127.0.0.1:${cartQueryPort}`, 'GET', `/api/v1/${customerId}`);
      seen = r.body?.version;
      return r.status === 200 && r.body.version >= version ? r.body : undefined;
    },
    minutes(4),
  ).catch((error: Error) => {
    throw new Error(`${error.message}: version ${String(seen)}\n${trouble()}`);
  });
}

/** A cart view's quantity per item. */
const quantities = (view: { lines: { itemId: string; qty: number }[] }): Record<string, number> => Object.fromEntries(view.lines.map((line) => [line.itemId, line.qty]));

/**
 * Four clients adding to `customers`' carts in turn (items 1 and 2) until stopped: a load that runs
 * through whatever a test does to the aggregators. `accepted` counts each item's accepted adds per
 * customer; `refused` names every add that was not (status 0: the request failed without an answer).
 */
function steadyCartAdds(cartBase: string, customers: string[]) {
  const accepted = new Map<string, Map<string, number>>(customers.map((c) => [c, new Map()]));
  const refused: string[] = [];
  let loading = true;
  let sent = 0;
  const client = async (offset: number) => {
    for (let i = offset; loading; i += 4) {
      const customerId = customers[i % customers.length]!;
      const itemId = String(1 + (i % 2));
      const r = await call(cartBase, 'POST', '/api/v1/add', { customerId, itemId, qty: 1 }).catch((error: Error) => ({ status: 0, body: `${error.name}: ${error.message}` }));
      sent += 1;
      if (r.status === 200) {
        const lines = accepted.get(customerId)!;
        lines.set(itemId, (lines.get(itemId) ?? 0) + 1);
      } else refused.push(`${r.status} ${JSON.stringify(r.body)}`);
      // No answer at all (a port-forward gone): paced, not retried in a tight loop that piles up refusals.
      if (r.status === 0) await sleep(200);
    }
  };
  const load = Promise.all([0, 1, 2, 3].map(client));
  return {
    accepted,
    refused,
    /** Resolves once `n` more adds were answered. */
    async addsMore(n: number): Promise<void> {
      const target = sent + n;
      await until(`${n} more adds`, () => (sent >= target ? true : undefined), minutes(3));
    },
    async stop(): Promise<void> {
      loading = false;
      await load;
    },
  };
}

/** Each customer's accepted adds, all items together. */
const addsOf = (lines: Map<string, number>): number => [...lines.values()].reduce((a, b) => a + b, 0);

suite('the whole chart on the local cluster (skaffold run -p local)', () => {
  let startedHere = false;
  let namespaceCreated = false;
  /** Where the Strimzi operator reconciling the release runs: beside it, or the tier's shared one. */
  let strimziNamespace = namespace;
  const forwards: PortForward[] = [];
  const base = { user: '', order: '', cart: '' };
  /** The carts the tests made (customer ids): the Replay test compares them before and after. */
  const carts: string[] = [];

  beforeAll(async () => {
    startedHere = (await clusterStatus()).rows.every((r) => r.pid === '-');
    await clusterUp();
    // What `npm run cluster -- images` gives a user before skaffold: the Node base the local profile's
    // Dockerfile builds on (skaffold reads it from the registry) and the chart's third-party images.
    await ensureNodeBase();
    await buildThirdPartyImages();
    kubectl(['create', 'namespace', namespace]);
    namespaceCreated = true;
    // The operator in the release's namespace, watching it (Strimzi's chart, local images), or the tier's shared one.
    strimziNamespace = await strimziOperatorFor(namespace);
  }, minutes(45));

  afterAll(async () => {
    await Promise.all(forwards.map((f) => f.stop()));
    try {
      if (namespaceCreated) deleteStrimziNamespace(namespace);
    } finally {
      // Also after a failed start: what it started stops, and the next suite starts clean.
      if (startedHere) await clusterDown();
    }
  }, minutes(8));

  it(
    'installs with skaffold run -p local on Strimzi: every pod Ready under the restricted security context, the schemas hook Job succeeded',
    async () => {
      const others = gatewaysTakingAnyHost(namespace);
      if (others.length > 0) {
        gatewayHost = `${namespace}.gateway.test`;
        console.log(`Gateways of other releases take any host (${others.join(', ')}): this release's listens for ${gatewayHost}`);
      }
      skaffold(['run', '-p', 'local', '-n', namespace, '--status-check=true'], { EVENTLINE_GATEWAY_HOSTNAME: gatewayHost ?? '', EVENTLINE_RELEASE: release });
      const ready = await waitAllReady(namespace, minutes(5));
      for (const name of [
        ...[...services, 'postgres-0', 'mongo-0', 'schema-registry'].map(named),
        brokerPod,
        `${kafkaCluster}-entity-operator`,
        ...(strimziNamespace === namespace ? ['strimzi-cluster-operator'] : []),
      ]) {
        expect(ready.some((pod) => pod === name || pod.startsWith(`${name}-`))).toBe(true);
      }
      // The schemas hook Job ran (helm deletes it once it succeeded; a failed one fails the install):
      // the in-cluster registry holds every subject of schemas/.
      const registry = await portForward(namespace, `svc/${named('schema-registry')}`, 8080);
      try {
        const subjects = (await (await fetch(`http://127.0.0.1:${registry.port}/apis/ccompat/v7/subjects`)).json()) as string[];
        expect(subjects.sort()).toEqual(
          catalogSubjects(loadCatalog())
            .map((s) => s.subject)
            .sort(),
        );
      } finally {
        await registry.stop();
      }
      expect(kubectl(['-n', namespace, 'get', 'jobs', '-o', 'name'])).not.toContain('schemas');
      const specs = JSON.parse(kubectl(['-n', namespace, 'get', 'pods', '-l', 'app.kubernetes.io/component=service', '-o', 'json'])) as {
        items: {
          metadata: { labels: Record<string, string> };
          spec: { securityContext: { runAsUser: number }; containers: { image: string; securityContext: { readOnlyRootFilesystem: boolean } }[] };
        }[];
      };
      // values-local.yaml runs what production runs replicated as replicas here too: two of every
      // service, three cart-aggregators (one per cart-events partition).
      const replicas = new Map<string, number>();
      for (const pod of specs.items) {
        const name = pod.metadata.labels['app.kubernetes.io/name']!;
        replicas.set(name, (replicas.get(name) ?? 0) + 1);
      }
      expect(Object.fromEntries(replicas)).toEqual(Object.fromEntries(services.map((s) => [s, s === 'cart-aggregator' ? 3 : 2])));
      // Started beside their databases and a Kafka still coming up, they waited rather than crashed. The
      // one exit allowed is a SCRAM login refused while Strimzi's User Operator settles the user's
      // credential: the restarted container reads the Secret anew (env from a Secret is read at start).
      const restarted = pods(namespace, 'app.kubernetes.io/component=service').filter((p) => (p.status.containerStatuses?.[0]?.restartCount ?? 0) > 0);
      for (const pod of restarted) {
        // The chart's terminationMessagePolicy (FallbackToLogsOnError) keeps the failed container's last
        // lines in the pod's status; the kubelet may already have removed the container and its log.
        const terminated = pod.status.containerStatuses?.[0]?.lastState?.terminated;
        const previousLog =
          spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, '-n', namespace, 'logs', pod.metadata.name, '--previous'], {
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          }).stdout ?? '';
        // The cause is the first error the container wrote, not the shutdown lines its tail ends with.
        const errors = `${previousLog}\n${terminated?.message ?? ''}`
          .split('\n')
          .filter((line) => /"level":"(fatal|error)"/.test(line) && !line.includes('"msg":"request completed"'));
        const fatal = errors.slice(0, 4).join('\n') || (terminated?.message ?? previousLog).slice(-2000) || `no log kept; exit ${terminated?.exitCode} (${terminated?.reason})`;
        const refusedLogin = fatal.includes('SASL SCRAM SHA512 authentication failed');
        expect({ pod: pod.metadata.name, refusedLogin, ...(refusedLogin ? {} : { fatal }) }).toEqual({ pod: pod.metadata.name, refusedLogin: true });
      }
      for (const pod of specs.items) {
        expect(pod.spec.securityContext.runAsUser).toBe(1000);
        expect(pod.spec.containers[0]!.securityContext.readOnlyRootFilesystem).toBe(true);
        expect(pod.spec.containers[0]!.image).toMatch(/^127\.0\.0\.1:\d+\/eventline-[a-z-]+:/);
      }
      // Strimzi reconciled the release's Kafka and made each Kafka service's user and Secret.
      const strimzi = (kind: string) =>
        (
          JSON.parse(kubectl(['-n', namespace, 'get', kind, '-o', 'json'])) as {
            items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }[];
          }
        ).items;
      const notReady = (kind: string) =>
        strimzi(kind)
          .filter((o) => o.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True')
          .map((o) => {
            const condition = o.status?.conditions?.find((c) => c.type !== 'Ready' || c.status !== 'True');
            return condition ? `${o.metadata.name}: ${condition.type} ${condition.reason ?? ''} ${condition.message ?? ''}`.trim() : o.metadata.name;
          });
      expect(notReady('kafkas')).toEqual([]);
      // A KafkaUser's Ready can drop for one reconciliation while a broker is busy (the User Operator
      // retries each user on its own timer), so Ready is awaited; one that stays not Ready fails with its
      // condition's reason and message.
      let usersNotReady: string[] = [];
      await until(
        'every KafkaUser Ready',
        () => {
          usersNotReady = notReady('kafkausers');
          return usersNotReady.length === 0 ? true : undefined;
        },
        minutes(4),
      ).catch(() => undefined);
      expect(usersNotReady).toEqual([]);
      expect(
        strimzi('kafkausers')
          .map((u) => u.metadata.name)
          .sort(),
      ).toEqual(
        // One per Kafka service, the operator's Redrive Jobs' own, and the trace pipeline's two (the
        // Collector writes the spans' topic, Zipkin reads it).
        [...services.filter((s) => s !== 'config-service'), 'operator-redrive', 'otel-collector', 'zipkin'].map(named).sort(),
      );
    },
    minutes(30),
  );

  it("runs Strimzi's operator from its own chart on the local images; its CRDs serve kafka.strimzi.io/v1", () => {
    for (const crd of ['kafkas', 'kafkanodepools', 'kafkatopics', 'kafkausers']) {
      const served = kubectl(['get', 'crd', `${crd}.kafka.strimzi.io`, '-o', 'jsonpath={.spec.versions[?(@.served==true)].name}']);
      expect(served.split(' ')).toContain('v1');
    }
    expect(kubectl(['-n', strimziNamespace, 'get', 'deployment', 'strimzi-cluster-operator', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toBe(strimziOperatorRef);
    const env = kubectl(['-n', strimziNamespace, 'get', 'deployment', 'strimzi-cluster-operator', '-o', 'jsonpath={.spec.template.spec.containers[0].env}']);
    expect(env).toContain(`4.3.1=${strimziKafkaRef}`);
    expect(env).not.toContain('quay.io');
    const kafka = JSON.parse(kubectl(['-n', namespace, 'get', 'kafka', kafkaCluster, '-o', 'json'])) as {
      status: { kafkaVersion: string; listeners: { name: string }[]; operatorLastSuccessfulVersion: string };
    };
    expect(kafka.status.kafkaVersion).toBe('4.3.1');
    expect(kafka.status.operatorLastSuccessfulVersion).toBe(strimziVersion);
    expect(kafka.status.listeners.map((l) => l.name)).toContain('scram');
    expect(kubectl(['-n', namespace, 'get', 'pod', brokerPod, '-o', 'jsonpath={.spec.containers[0].image}'])).toBe(strimziKafkaRef);
  });

  it(
    "enforces the KafkaUsers' ACLs for real: user-service may describe users and is refused orders",
    async () => {
      const { kafka, stop } = await kafkaAs('user-service');
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      const admin = kafka.admin();
      try {
        // Allowed: Describe on its own topic (its writes there are what seed 000 reads back, below).
        await admin.connect();
        const metadata = await admin.fetchTopicMetadata({ topics: ['users'] });
        expect(metadata.topics[0]?.partitions).toHaveLength(3);
        // Refused by the broker: another service's topic, read or written (nothing is written).
        await producer.connect();
        const refused = await producer.send({ topic: 'orders', messages: [{ key: 'acl-check', value: 'refused' }] }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(errorTypes(refused)).toContain('TOPIC_AUTHORIZATION_FAILED');
        const hidden = await admin.fetchTopicMetadata({ topics: ['orders'] }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(errorTypes(hidden)).toContain('TOPIC_AUTHORIZATION_FAILED');
      } finally {
        await producer.disconnect();
        await admin.disconnect();
        await stop();
      }
    },
    minutes(3),
  );

  it(
    'answers seed 000 through kubectl port-forward, to the services and to the Gateway: a PUT /user-service/update reaches the order in FerretDB',
    async () => {
      const user = await forwardTo('user-service', 8091);
      const order = await forwardTo('order-service', 8081);
      forwards.push(user, order);
      base.user = `http://127.0.0.1:${user.port}`;
      base.order = `http://127.0.0.1:${order.port}`;
      // The pods run the project's Node (.nvmrc), the one the local runs and this suite run on.
      const metrics = await fetch(`${base.user}/metrics`).then((r) => r.text());
      expect(metrics).toContain(`nodejs_version_info{version="v${projectNodeVersion()}"`);
      // order-service knows user 1 and product 1 once their ECST events arrived.
      const created = await until(
        'an order for user 1 and product 1',
        async () => {
          const r = await call(base.order, 'POST', '/order-service/orders', { userId: 1, productId: 1, qty: 1 });
          return r.status === 201 ? r.body : undefined;
        },
        120_000,
      );
      expect(created).toMatchObject({ user: { id: 1 }, product: { productId: 1 }, price: 300 });
      const update = await call(base.user, 'PUT', '/user-service/update', { id: 1, firstname: 'Neha', lastname: 'Parate', email: 'neha.parate@hotmail.com' });
      expect(update.status).toBe(200);
      const orders = await until(
        'the new email in GET /order-service/all',
        async () => {
          const r = await call(base.order, 'GET', '/order-service/all');
          return r.body.find((o: { id: string; user: { email: string } }) => o.id === created.id)?.user.email === 'neha.parate@hotmail.com' ? r.body : undefined;
        },
        60_000,
      );
      expect(orders.find((o: { id: string }) => o.id === created.id)).toMatchObject({
        user: { id: 1, firstname: 'Neha', email: 'neha.parate@hotmail.com' },
        product: { productId: 1 },
        price: 300,
      });
      // The same calls through the release's Gateway (Traefik, namespace traefik), as the seed writes them on :8080.
      const gateway = await portForward('traefik', 'svc/traefik', 80);
      try {
        const viaGateway = `http://127.0.0.1:${gateway.port}`;
        const put = await until(
          "the release's HTTPRoutes programmed",
          async () => {
            const r = await call(viaGateway, 'PUT', '/user-service/update', { id: 1, firstname: 'Neha', lastname: 'Parate', email: 'neha.parate-updated@vinsguru.com' });
            return r.status === 200 ? r : undefined;
          },
          60_000,
        );
        expect(put.body).toMatchObject({ id: 1, email: 'neha.parate-updated@vinsguru.com' });
        const seen = await until(
          'the update in GET /order-service/all through the gateway',
          async () => {
            const r = await call(viaGateway, 'GET', '/order-service/all');
            return r.body.find((o: { id: string; user: { email: string } }) => o.id === created.id)?.user.email === 'neha.parate-updated@vinsguru.com' ? true : undefined;
          },
          60_000,
        );
        expect(seen).toBe(true);
      } finally {
        await gateway.stop();
      }
    },
    minutes(6),
  );

  it(
    "answers seeds 001 and 002 as written, through the Gateway and the seeds' own ports; a checkout runs the saga to APPROVED",
    async () => {
      const gateway = await portForward('traefik', 'svc/traefik', 80);
      const fulfillment = await forwardTo('fulfillment-service', 3000);
      const cartQuery = await forwardTo('cart-query', 7000);
      forwards.push(gateway, fulfillment, cartQuery);
      const viaGateway = `http://127.0.0.1:${gateway.port}`;
      // Seed 001 on its own port (3000), the check-in portal.
      const checkin = {
        internetNo: '8850049302',
        orderNo: '5960915_106347524.2',
        staffCode: 'cs_eng_ftth',
        jobStatus: 'homecheckedin',
        checkinLatitude: 13.7827811,
        checkinLongitude: 100.5465937,
        checkinDate: '2021-03-18 10:13:43',
      };
      const recorded = await call(`http://127.0.0.1:${fulfillment.port}`, 'POST', '/api/SOA/home/checkin', checkin);
      expect(recorded.status).toBe(201);
      expect(recorded.body).toMatchObject({ orderNo: checkin.orderNo, jobStatus: 'homecheckedin' });
      const job = await call(viaGateway, 'GET', `/api/SOA/jobs/${checkin.orderNo}`);
      expect(job.body).toMatchObject({ orderNo: checkin.orderNo, checkins: [expect.objectContaining({ jobStatus: 'homecheckedin' })] });
      // Seed 002 through the gateway (:8080 in the seed): add item 1 twice, item 2 once, remove item 2;
      // read on cart-query's own port (7000). Customer 2 is a user, so its checkout becomes an order.
      const customerId = '2';
      carts.push(customerId);
      for (const itemId of ['1', '1', '2']) expect((await call(viaGateway, 'POST', '/api/v1/add', { customerId, itemId, qty: 1 })).status).toBe(200);
      const removed = await call(viaGateway, 'POST', '/api/v1/remove', { customerId, itemId: '2', qty: 1 });
      expect(removed.status).toBe(200);
      const cart = await until(
        'the cart on cart-query',
        async () => {
          const r = await call(`http://127.0.0.1:${cartQuery.port}`, 'GET', `/api/v1/${customerId}?minVersion=${removed.body.version}`);
          return r.status === 200 ? r.body : undefined;
        },
        60_000,
      );
      expect(cart.lines).toEqual([expect.objectContaining({ itemId: '1', qty: 2 })]);
      const checkedOut = await call(viaGateway, 'POST', '/api/v1/checkout', { customerId });
      expect(checkedOut.body).toMatchObject({ status: 'CHECKED_OUT', cartId: cart.cartId });
      // The choreography: CartCheckedOut → order PENDING → StockReserved (product-service) → APPROVED.
      const order = await until(
        "the checkout's order APPROVED",
        async () => {
          const r = await call(viaGateway, 'GET', `/order-service/orders?userId=${customerId}`);
          return (r.body as { cartId?: string; status: string }[]).find((o) => o.cartId === cart.cartId && o.status === 'APPROVED');
        },
        minutes(2),
      );
      expect(order).toMatchObject({ cartId: cart.cartId, status: 'APPROVED', qty: 2 });
    },
    minutes(5),
  );

  it(
    "traces one checkout through the Gateway, the release's Collector and Kafka into its Zipkin: cart-service → its relay → cart-aggregator → cart-query, and the saga",
    async () => {
      const gateway = await portForward('traefik', 'svc/traefik', 80);
      forwards.push(gateway);
      const viaGateway = `http://127.0.0.1:${gateway.port}`;
      // User 3 and product 3 (100 in stock): the order is approved, so the saga runs its whole course.
      const customerId = '3';
      carts.push(customerId);
      expect((await call(viaGateway, 'POST', '/api/v1/add', { customerId, itemId: '3', qty: 1 })).status).toBe(200);
      // The client's own sampled context: Traefik passes the header on (it traces nothing here), so
      // cart-service's server span is its child.
      const client = clientTraceparent();
      const checkedOut = await call(viaGateway, 'POST', '/api/v1/checkout', { customerId }, { traceparent: client.header });
      expect(checkedOut.status).toBe(200);
      const zipkin = await forwardTo('zipkin', 9411, '/health');
      forwards.push(zipkin);
      const hops = [
        'cart-service SERVER post /api/v1/checkout',
        'cart-service PRODUCER publish cart-events',
        'cart-aggregator CONSUMER process cart-events',
        'cart-query CONSUMER process cart-details',
        'order-service CONSUMER process cart-events',
        'product-service CONSUMER process orders',
        'product-service PRODUCER publish inventory',
        'order-service CONSUMER process inventory',
      ];
      const spans = await until(
        `every hop of trace ${client.traceId} in zipkin`,
        async () => {
          const stored = await storedTrace(client.traceId, `http://127.0.0.1:${zipkin.port}`);
          const missing = hops.filter((hop) => !stored.some((span) => spanLabel(span) === hop));
          if (stored.filter((span) => spanLabel(span) === 'order-service PRODUCER publish orders').length < 2) missing.push('order-service PRODUCER publish orders (twice)');
          if (missing.length > 0) throw new Error(`${stored.length} spans stored; missing: ${missing.join(', ')}`);
          return stored;
        },
        minutes(2),
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${tracePipelineTrouble()}`);
      });
      const ids = new Set(spans.map((span) => span.id));
      const roots = spans.filter((span) => span.parentId === undefined || !ids.has(span.parentId));
      expect(roots.map((span) => [spanLabel(span), span.parentId])).toEqual([['cart-service SERVER post /api/v1/checkout', client.spanId]]);
      const readModel = spans.find((span) => spanLabel(span) === 'cart-query CONSUMER process cart-details') as StoredSpan;
      expect(ancestry(spans, readModel)).toEqual([
        'cart-query CONSUMER process cart-details',
        'cart-aggregator CONSUMER process cart-events',
        'cart-service PRODUCER publish cart-events',
        'cart-service SERVER post /api/v1/checkout',
      ]);
      expect(sagaApprovalChain(spans)).toEqual(SAGA_APPROVAL_CHAIN);
    },
    minutes(5),
  );

  it(
    "has the release's Prometheus scrape every service pod (found by DNS): each one up, request counters after traffic, consumer lag per group",
    async () => {
      const prometheus = await forwardTo('prometheus', 9090, '/-/ready');
      forwards.push(prometheus);
      const query = (promql: string) => promQuery(`http://127.0.0.1:${prometheus.port}`, promql);
      // Every ready service pod is a target that answers: as many per service as it has pods ready.
      const readyPods = new Map<string, number>();
      for (const pod of pods(namespace, 'app.kubernetes.io/component=service')) {
        if (pod.status?.phase !== 'Running' || !(pod.status.containerStatuses ?? []).every((c) => c.ready)) continue;
        const service = pod.metadata.labels?.['app.kubernetes.io/name'] ?? '?';
        readyPods.set(service, (readyPods.get(service) ?? 0) + 1);
      }
      // And the release's OpenTelemetry Collector, whose span metrics it scrapes too.
      readyPods.set('otel-collector', 1);
      const expected = Object.fromEntries([...readyPods].sort());
      const upPerService = await until(
        'every ready service pod up in prometheus',
        async () => {
          const counted = Object.fromEntries((await query('count by (service) (up == 1)')).map((s) => [s.metric.service, s.value]).sort());
          return isDeepStrictEqual(counted, expected) ? counted : undefined;
        },
        minutes(2),
      );
      expect(upPerService).toEqual(expected);
      // The seeds' calls earlier in the suite went through cart-service, cart-query and order-service.
      const routed = await query('sum by (service) (eventline_http_request_duration_seconds_count{route!~"/metrics|/healthz|/readyz"})');
      for (const service of ['cart-service', 'cart-query', 'order-service', 'fulfillment-service']) {
        expect({ service, requests: (routed.find((s) => s.metric.service === service)?.value ?? 0) > 0 }).toEqual({ service, requests: true });
      }
      const lag = await query('max by (group) (eventline_consumer_lag)');
      expect(lag.map((s) => s.metric.group)).toEqual(expect.arrayContaining(['cart-query.cart-details', 'order-service.inventory', 'product-service.orders']));
      // The Collector's span metrics of the traced checkout before: its hops counted per service and span.
      const counted = ['cart-service POST /api/v1/checkout', 'cart-aggregator process cart-events', 'product-service process orders'];
      const calls = await until(
        'span metrics of the checkout in prometheus',
        async () => {
          const series = await query(
            'sum by (service_name, span_name) (eventline_traces_span_metrics_calls_total{span_name=~"POST /api/v1/checkout|process cart-events|process orders"})',
          );
          const names = series.filter((s) => s.value > 0).map((s) => `${s.metric.service_name} ${s.metric.span_name}`);
          return counted.every((name) => names.includes(name)) ? names : undefined;
        },
        minutes(1),
      );
      expect(calls).toEqual(expect.arrayContaining(counted));
    },
    minutes(4),
  );

  it(
    'holds no connection its NetworkPolicies would refuse: every socket of every service pod, judged against the rules (no enforcer runs here)',
    async () => {
      // One call per public service through the Gateway, so that Traefik holds a connection to each;
      // the pods' own connections (Kafka, databases, config-service, the API server) are long-lived.
      const gateway = await portForward('traefik', 'svc/traefik', 80);
      const viaGateway = `http://127.0.0.1:${gateway.port}`;
      let judged: Map<string, JudgedConnection>;
      try {
        judged = await judgeReleaseConnections(namespace, async () => {
          for (const [method, path, body] of policyCheckRequests) {
            expect((await call(viaGateway, method, path, body)).status).toBeLessThan(500);
          }
        });
      } finally {
        await gateway.stop();
      }
      carts.push('policy-check');
      expect(refusedConnections(judged)).toEqual([]);
      // What each service is known to talk to was among the judged, under its own policy's egress.
      const expected = knownConnections({
        namespace,
        kafka: { at: `${namespace}/kafka`, port: 9092 },
        postgres: `${namespace}/postgres`,
        mongo: `${namespace}/mongo`,
      });
      expect([...judged.keys()]).toEqual(expect.arrayContaining(expected));
      for (const key of expected.filter((k) => !k.startsWith('traefik/')))
        expect({ key, egress: judged.get(key)!.verdict.egress }).toEqual({ key, egress: { isolated: true, allowedBy: [expect.any(String)] } });
    },
    minutes(5),
  );

  it(
    "keeps every service's peak working set under its memory limit through 20 s of steady cart adds via the Gateway (the kubelet's resource metrics; the table printed)",
    async () => {
      const gateway = await portForward('traefik', 'svc/traefik', 80);
      const customers = ['footprint-a', 'footprint-b', 'footprint-c'].map((c) => `${c}-${randomBytes(3).toString('hex')}`);
      carts.push(...customers);
      const samples = [sampleNamespace(namespace)];
      const started = Date.now();
      const load = steadyCartAdds(`http://127.0.0.1:${gateway.port}`, customers);
      try {
        while (Date.now() - started < 20_000) {
          await sleep(3_000);
          samples.push(sampleNamespace(namespace));
        }
      } finally {
        await load.stop();
        await gateway.stop();
      }
      const spanSeconds = (Date.now() - started) / 1000;
      expect(load.refused).toEqual([]);
      const answered = customers.reduce((sum, c) => sum + addsOf(load.accepted.get(c)!), 0);
      const rows = footprint(namespace, samples, spanSeconds);
      console.log(`${answered} cart adds in ${spanSeconds.toFixed(0)} s through the Gateway (${(answered / spanSeconds).toFixed(0)}/s)\n${formatFootprint(rows)}`);
      const serviceRows = rows.filter((r) => services.includes(r.app));
      expect(new Set(serviceRows.map((r) => r.app))).toEqual(new Set(services));
      for (const row of serviceRows) {
        expect({ pod: row.pod, limited: row.limitBytes !== undefined }).toEqual({ pod: row.pod, limited: true });
        expect({ pod: row.pod, peakMiB: Math.round(row.peakBytes / 2 ** 20), underLimit: row.peakBytes < row.limitBytes! }).toEqual({
          pod: row.pod,
          peakMiB: Math.round(row.peakBytes / 2 ** 20),
          underLimit: true,
        });
      }
    },
    minutes(3),
  );

  it(
    'keeps every accepted command when the Kafka broker pod is deleted during 200 user updates and 500 cart adds (counted)',
    async () => {
      const cart = await forwardTo('cart-service', 8093);
      forwards.push(cart);
      base.cart = `http://127.0.0.1:${cart.port}`;
      const users = [1, 2, 3, 4];
      const before = new Map<number, number>();
      for (const id of users) {
        before.set(id, (await call(base.user, 'GET', `/user-service/users/${id}`)).body.version);
        // An order per user, so that order-service's copy of each shows in GET /order-service/all.
        expect((await call(base.order, 'POST', '/order-service/orders', { userId: id, productId: 2, qty: 1 })).status).toBe(201);
      }
      const customers = ['broker-a', 'broker-b', 'broker-c', 'broker-d', 'broker-e'].map((c) => `${c}-${randomBytes(3).toString('hex')}`);
      carts.push(...customers);
      const accepted = { updates: new Map<number, number>(), lastEmail: new Map<number, string>(), adds: new Map<string, number>() };
      const brokerUid = podUid(namespace, brokerPod);
      for (let i = 0; i < 500; i += 1) {
        if (i === 50) kubectl(['-n', namespace, 'delete', 'pod', brokerPod, '--wait=false']);
        if (i < 200) {
          const id = users[i % users.length]!;
          const email = `user${id}.update${i}@example.com`;
          const r = await call(base.user, 'PUT', '/user-service/update', { id, firstname: 'Fault', lastname: `Test${id}`, email });
          if (r.status === 200) {
            accepted.updates.set(id, (accepted.updates.get(id) ?? 0) + 1);
            accepted.lastEmail.set(id, email);
          }
        }
        const customerId = customers[i % customers.length]!;
        const add = await call(base.cart, 'POST', '/api/v1/add', { customerId, itemId: '1', qty: 1 });
        if (add.status === 200) accepted.adds.set(customerId, (accepted.adds.get(customerId) ?? 0) + 1);
      }
      // Writes land in PostgreSQL and the outbox whether or not the broker is there: all accepted.
      expect([...accepted.updates.values()].reduce((a, b) => a + b, 0)).toBe(200);
      expect([...accepted.adds.values()].reduce((a, b) => a + b, 0)).toBe(500);
      await podReplaced(namespace, brokerPod, brokerUid, 'Strimzi brought the broker back', minutes(6));
      for (const id of users) {
        const user = (await call(base.user, 'GET', `/user-service/users/${id}`)).body;
        expect(user.version).toBe(before.get(id)! + accepted.updates.get(id)!);
      }
      const order = await forwardTo('order-service', 8081);
      const cartQuery = await forwardTo('cart-query', 7000);
      forwards.push(order, cartQuery);
      let stale: string[] = [];
      await until(
        "every user's last accepted email in order-service's orders",
        async () => {
          const all = (await call(`http://127.0.0.1:${order.port}`, 'GET', '/order-service/all')).body as { user: { id: number; email: string } }[];
          stale = users.filter((id) => all.some((o) => o.user.id === id && o.user.email !== accepted.lastEmail.get(id))).map((id) => `user ${id}`);
          return stale.length === 0 ? true : undefined;
        },
        // A consumer left stalled by the broker's restart is replaced once its liveness fails (90 s of
        // silence, then three failed probes): within this wait.
        minutes(5),
      ).catch((error: Error) => {
        // Which side stopped: user-service's relay (publishing) or order-service's consumer.
        throw new Error(
          `${error.message}: ${stale.join(', ')} not at their last email\n${troubleIn(`deploy/${named('user-service')}`)}\n${troubleIn(`deploy/${named('order-service')}`)}`,
        );
      });
      for (const customerId of customers) {
        const view = await cartViewAt(
          cartQuery.port,
          customerId,
          accepted.adds.get(customerId)!,
          () => `${troubleIn(named('cart-aggregator-0'))}\n${troubleIn(`deploy/${named('cart-service')}`)}`,
        );
        expect(view.version).toBe(accepted.adds.get(customerId));
        expect(view.lines).toEqual([expect.objectContaining({ itemId: '1', qty: accepted.adds.get(customerId) })]);
      }
    },
    minutes(20),
  );

  it(
    "loses and doubles nothing when the consumers' pods are deleted mid-stream (order-service, cart-aggregator)",
    async () => {
      const customerId = `chart-${randomBytes(4).toString('hex')}`;
      carts.push(customerId);
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
      await waitAllReady(namespace, minutes(4));
      // order-service's forward died with its pod: a new one to the replacement.
      const order = await forwardTo('order-service', 8081);
      const cartQuery = await forwardTo('cart-query', 7000);
      forwards.push(order, cartQuery);
      let seenEmails: string[] = [];
      const emails = await until(
        'every order of user 1 on the last email',
        async () => {
          const all = (await call(`http://127.0.0.1:${order.port}`, 'GET', '/order-service/all')).body as { user: { id: number; email: string } }[];
          seenEmails = all.filter((o) => o.user.id === 1).map((o) => o.user.email);
          return seenEmails.length > 0 && seenEmails.every((e) => e === lastEmail) ? seenEmails : undefined;
        },
        minutes(4),
      ).catch((error: Error) => {
        throw new Error(
          `${error.message}: ${lastEmail} expected, seen ${[...new Set(seenEmails)].join(', ')}\n${troubleIn(`deploy/${named('order-service')}`)}\n${troubleIn(`deploy/${named('user-service')}`)}`,
        );
      });
      expect(new Set(emails)).toEqual(new Set([lastEmail]));
      // The cart: exactly `adds` items, split over the two products: none lost, none applied twice.
      const view = await cartViewAt(cartQuery.port, customerId, adds, () => `${troubleIn(named('cart-aggregator-0'))}\n${troubleIn(`deploy/${named('cart-query')}`)}`);
      expect(view.version).toBe(adds);
      expect(quantities(view)).toEqual({ 1: adds / 2, 2: adds / 2 });
    },
    minutes(10),
  );

  it(
    'scales cart-aggregator 3 → 1 → 3 under steady adds, a pod deleted mid-stream: every cart exact, each instance holding its own partitions',
    async () => {
      const statefulSet = `statefulset/${named('cart-aggregator')}`;
      const selector = 'app.kubernetes.io/name=cart-aggregator';
      const aggregatorPods = () => pods(namespace, selector).filter((p) => p.metadata.deletionTimestamp === undefined);
      const readyCount = (n: number, what: string) =>
        until(
          what,
          () => {
            const all = pods(namespace, selector);
            return all.length === n && all.every(isReady) ? true : undefined;
          },
          minutes(5),
        );
      expect(aggregatorPods()).toHaveLength(3);

      // Twelve customers spread over cart-events' three partitions, four clients adding in turn
      // until the steps below are done: the load runs through every rebalance.
      const customers = Array.from({ length: 12 }, (_, i) => `scale-${i}-${randomBytes(3).toString('hex')}`);
      carts.push(...customers);
      const { accepted, refused, addsMore, stop } = steadyCartAdds(base.cart, customers);
      try {
        await addsMore(50);
        kubectl(['-n', namespace, 'scale', statefulSet, '--replicas=1']);
        await readyCount(1, 'one cart-aggregator left');
        await addsMore(100);
        kubectl(['-n', namespace, 'scale', statefulSet, '--replicas=3']);
        await readyCount(3, 'three cart-aggregators again');
        await addsMore(50);
        const deleted = aggregatorPods().find((p) => p.metadata.name === named('cart-aggregator-1'))!;
        kubectl(['-n', namespace, 'delete', 'pod', deleted.metadata.name, '--wait=false']);
        await addsMore(50);
        await until(
          'the deleted cart-aggregator replaced and Ready',
          () => {
            const all = pods(namespace, selector);
            return all.length === 3 && all.every(isReady) && !all.some((p) => p.metadata.uid === deleted.metadata.uid) ? true : undefined;
          },
          minutes(5),
        );
        await addsMore(50);
      } finally {
        await stop();
      }
      expect(refused).toEqual([]);

      const cartQuery = await forwardTo('cart-query', 7000);
      forwards.push(cartQuery);
      for (const customerId of customers) {
        const lines = accepted.get(customerId)!;
        const adds = addsOf(lines);
        const view = await cartViewAt(cartQuery.port, customerId, adds, () =>
          aggregatorPods()
            .map((p) => troubleIn(p.metadata.name))
            .join('\n'),
        );
        // Nothing lost, nothing doubled: one version per accepted add, each item's quantity exact.
        expect(view.version).toBe(adds);
        expect(quantities(view)).toEqual(Object.fromEntries(lines));
      }

      // State per partition: the three instances hold disjoint cart-events partitions that cover all three.
      const heldPartitions = async (): Promise<number[][]> => {
        const held: number[][] = [];
        for (const pod of aggregatorPods()) {
          const forward = await portForward(namespace, `pod/${pod.metadata.name}`, 8095);
          try {
            const state = (await (await fetch(`http://127.0.0.1:${forward.port}/aggregator/state`)).json()) as { partitions: { partition: number }[] };
            held.push(state.partitions.map((p) => p.partition));
          } finally {
            await forward.stop();
          }
        }
        return held;
      };
      let lastHeld: number[][] = [];
      await until(
        'one cart-events partition held by each cart-aggregator',
        async () => {
          lastHeld = await heldPartitions();
          return lastHeld.every((p) => p.length === 1) ? true : undefined;
        },
        minutes(2),
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(lastHeld)}`);
      });
      expect(lastHeld.flat().sort()).toEqual([0, 1, 2]);
    },
    minutes(20),
  );

  it(
    "fences a cart-aggregator held between its transaction's sends and its commit past its session timeout, its container frozen and resumed meanwhile: the late commit refused, every cart exact in cart-details, the changelog and cart-query",
    async () => {
      const selector = 'app.kubernetes.io/name=cart-aggregator';
      const zombie = named('cart-aggregator-1');
      const zombiePod = () => pods(namespace, selector).find((p) => p.metadata.name === zombie);
      await until(
        'three cart-aggregators Ready',
        () => {
          const all = pods(namespace, selector);
          return all.length === 3 && all.every(isReady) ? true : undefined;
        },
        minutes(5),
      );
      const restartsBefore = zombiePod()!.status.containerStatuses![0]!.restartCount;
      const containerId = zombiePod()!.status.containerStatuses![0]!.containerID!.replace(/^containerd:\/\//, '');
      const ctr = (verb: 'pause' | 'resume') => {
        const r = spawnSync('ctr', ['--address', sockets.containerd, '-n', 'k8s.io', 'task', verb, containerId], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`ctr task ${verb} ${containerId}: ${r.stderr}`);
      };
      // The pod's delay points are read from this file (values-local: EVENTLINE_DELAYS_FILE).
      const delays = (armed: string) =>
        kubectl(['-n', namespace, 'exec', zombie, '--', 'node', '-e', "require('fs').writeFileSync('/tmp/eventline-delays', process.argv[1])", armed]);
      const zombieLog = () => kubectl(['-n', namespace, 'logs', zombie, '--tail=-1']);

      const customers = Array.from({ length: 12 }, (_, i) => `zombie-${i}-${randomBytes(3).toString('hex')}`);
      carts.push(...customers);
      const load = steadyCartAdds(base.cart, customers);
      try {
        await load.addsMore(40);
        // Its next commit waits 75 s after the transaction's sends and offsets, longer than the 30 s
        // session timeout: the group gives its partition to another instance, which initialises the
        // partition's transactional id and carries on. Meanwhile its container is frozen for 18 s
        // (fewer than the 3 failed liveness probes that would restart it), then resumed.
        delays('processor.before-commit=75000');
        await until('the held commit waiting at its delay point', () => (zombieLog().includes('delay point processor.before-commit reached') ? true : undefined), minutes(2)).catch(
          (error: Error) => {
            throw new Error(`${error.message}; ${zombie}'s last lines:\n${zombieLog().split('\n').slice(-15).join('\n').slice(-5000)}`);
          },
        );
        delays('');
        ctr('pause');
        try {
          await sleep(18_000);
        } finally {
          ctr('resume');
        }
        await until(
          "the zombie's late commit refused (fenced)",
          () => (zombieLog().includes('"msg":"commit refused: another instance holds the partition now (fenced)"') ? true : undefined),
          minutes(3),
        ).catch((error: Error) => {
          throw new Error(`${error.message}\n${troubleIn(zombie)}`);
        });
        await load.addsMore(60);
      } finally {
        await load.stop();
      }
      expect(load.refused).toEqual([]);
      // Stopped and resumed, not restarted.
      expect(zombiePod()!.status.containerStatuses![0]!.restartCount).toBe(restartsBefore);

      const cartQuery = await forwardTo('cart-query', 7000);
      forwards.push(cartQuery);
      for (const customerId of customers) {
        const lines = load.accepted.get(customerId)!;
        const view = await cartViewAt(cartQuery.port, customerId, addsOf(lines), () => `${troubleIn(zombie)}\n${troubleIn(named('cart-aggregator-0'))}`);
        expect(view.version).toBe(addsOf(lines));
        expect(quantities(view)).toEqual(Object.fromEntries(lines));
      }
      // cart-query keeps only newer versions, so the topics are read too: in cart-details (read in a
      // cart-query pod) and the changelog (in a cart-aggregator pod), each customer's versions rise
      // strictly — no change written twice, none stale after a newer — and the last is the exact cart.
      for (const [topicReader, topic] of [
        [`deployment/${named('cart-query')}`, 'cart-details'],
        [`pod/${named('cart-aggregator-0')}`, 'cart-aggregator.changelog'],
      ] as const) {
        const records = cartRecordsIn(namespace, topicReader, topic, customers);
        for (const customerId of customers) {
          const versions = records.filter((r) => r.customerId === customerId).map((r) => r.version);
          expect({ topic, customerId, rising: versions.every((v, i) => i === 0 || v > versions[i - 1]!) }).toEqual({ topic, customerId, rising: true });
          const last = records.filter((r) => r.customerId === customerId).pop();
          const lines = load.accepted.get(customerId)!;
          expect({ topic, customerId, version: last?.version, qty: last?.qty }).toEqual({ topic, customerId, version: addsOf(lines), qty: Object.fromEntries(lines) });
        }
      }
    },
    minutes(12),
  );

  it(
    'rebuilds cart_view with a Replay whose Job runs on the kubelet: reads served throughout, the rebuilt view equal to the live one; the leading operator pod deleted mid-run, still one Job',
    async () => {
      expect(carts.length).toBeGreaterThan(0);
      const cartQuery = await forwardTo('cart-query', 7000);
      forwards.push(cartQuery);
      const read = (customerId: string) => getOnNewConnection(cartQuery.port, `/api/v1/${customerId}`);
      const live = new Map<string, unknown>();
      for (const customerId of carts) {
        const r = await read(customerId);
        expect(r.status).toBe(200);
        live.set(customerId, r.body);
      }
      // Reads keep being served, unchanged, while the Job rebuilds and swaps cart_view.
      let reads = 0;
      let reading = true;
      // Counted, and only the first few kept: reads that fail fast (a port-forward gone) must not pile up in this process.
      const failures = { count: 0, first: [] as unknown[] };
      const reader = (async () => {
        while (reading) {
          const customerId = carts[reads % carts.length]!;
          const r = await read(customerId).catch((error: Error) => ({ status: 0, body: error.message }));
          if (r.status !== 200 || !isDeepStrictEqual(r.body, live.get(customerId))) {
            failures.count += 1;
            if (failures.first.length < 10) failures.first.push({ customerId, atRead: reads, ...r });
            if (r.status === 0) await sleep(200);
          }
          reads += 1;
        }
      })();
      const leader = kubectl(['-n', namespace, 'get', 'lease', named('eventline-operator'), '-o', 'jsonpath={.spec.holderIdentity}']);
      expect(pods(namespace, 'app.kubernetes.io/name=operator').map((p) => p.metadata.name)).toContain(leader);
      kubectl(['-n', namespace, 'apply', '-f', '-'], 'apiVersion: eventline.dev/v1alpha1\nkind: Replay\nmetadata: { name: rebuild-carts }\nspec: { service: cart-query }\n');
      const jobs = (replay: string) =>
        (JSON.parse(kubectl(['-n', namespace, 'get', 'jobs', '-l', `eventline.dev/replay=${replay}`, '-o', 'json'])) as { items: { metadata: { name: string; uid: string } }[] })
          .items;
      const [job] = await until("the Replay's Job", () => (jobs('rebuild-carts').length > 0 ? jobs('rebuild-carts') : undefined), minutes(1));
      // The leader goes mid-run: the standby takes the Lease and carries on with the same Job.
      kubectl(['-n', namespace, 'delete', 'pod', leader, '--wait=false']);
      // Polled rather than `kubectl wait`: a blocking call would stall the reader on this event loop.
      await until(
        'replay/rebuild-carts Ready',
        () => {
          const conditions = JSON.parse(kubectl(['-n', namespace, 'get', 'replay', 'rebuild-carts', '-o', 'jsonpath={.status.conditions}']) || '[]') as {
            type: string;
            status: string;
          }[];
          return conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
        },
        minutes(5),
      );
      reading = false;
      await reader;
      expect(failures).toEqual({ count: 0, first: [] });
      expect(reads).toBeGreaterThan(carts.length);
      const replay = JSON.parse(kubectl(['-n', namespace, 'get', 'replay', 'rebuild-carts', '-o', 'json']));
      expect(replay.status).toMatchObject({ phase: 'Switched', job: 'replay-rebuild-carts', servedGeneration: 2, lag: { total: 0 } });
      expect(replay.status.eventsApplied).toBeGreaterThanOrEqual(carts.length);
      expect(jobs('rebuild-carts').map((j) => j.metadata.uid)).toEqual([job!.metadata.uid]);
      expect(kubectl(['-n', namespace, 'get', 'lease', named('eventline-operator'), '-o', 'jsonpath={.spec.holderIdentity}'])).not.toBe(leader);
      const podImage = kubectl([
        '-n',
        namespace,
        'get',
        'pods',
        '-l',
        'job-name=replay-rebuild-carts',
        '--field-selector=status.phase=Succeeded',
        '-o',
        'jsonpath={.items[0].spec.containers[0].image}',
      ]);
      expect(podImage).toBe(kubectl(['-n', namespace, 'get', 'deployment', named('cart-query'), '-o', 'jsonpath={.spec.template.spec.containers[0].image}']));
      for (const customerId of carts) expect((await read(customerId)).body).toEqual(live.get(customerId));
      expect(kubectl(['-n', namespace, 'get', 'replays', '-o', 'wide'])).toMatch(/rebuild-carts\s+cart-query\s+Switched\s+0\s+\d+\s+2\s+True/);
    },
    minutes(8),
  );

  it(
    'leaves no Job, consumer group or rebuilt collection behind when a Replay is deleted mid-run',
    async () => {
      // The replay held before it would finish (a fault-injection pause in cart-query's environment, which
      // the Job copies; the live service has no such step), so that it is deleted mid-run for certain.
      kubectl(['-n', namespace, 'set', 'env', `deployment/${named('cart-query')}`, 'EVENTLINE_DELAYS=replay.before-switch=600000']);
      kubectl(['-n', namespace, 'rollout', 'status', `deployment/${named('cart-query')}`, '--timeout=180s']);
      const { kafka, stop } = await kafkaAs('cart-query');
      const admin = kafka.admin();
      try {
        kubectl(
          ['-n', namespace, 'apply', '-f', '-'],
          'apiVersion: eventline.dev/v1alpha1\nkind: Replay\nmetadata: { name: rebuild-carts-abandoned }\nspec: { service: cart-query, switchWhenCaughtUp: false }\n',
        );
        const running = await until(
          'the rebuild under way: its group committed, its collection built',
          () => {
            const replay = JSON.parse(kubectl(['-n', namespace, 'get', 'replay', 'rebuild-carts-abandoned', '-o', 'json']));
            return (replay.status?.eventsApplied ?? 0) > 0 && rebuildCollections().length === 1 ? replay : undefined;
          },
          minutes(3),
        );
        const groupId = running.status.consumerGroup as string;
        await admin.connect();
        expect((await admin.describeGroups([groupId])).groups[0]!.state).not.toBe('Dead');
        kubectl(['-n', namespace, 'delete', 'replay', 'rebuild-carts-abandoned', '--wait=true', '--timeout=300s']);
        expect(kubectl(['-n', namespace, 'get', 'jobs', '-l', 'eventline.dev/replay=rebuild-carts-abandoned', '-o', 'name'])).toBe('');
        expect(rebuildCollections()).toEqual([]);
        expect((await admin.describeGroups([groupId])).groups[0]!.state).toBe('Dead');
      } finally {
        await admin.disconnect();
        await stop();
        kubectl(['-n', namespace, 'set', 'env', `deployment/${named('cart-query')}`, 'EVENTLINE_DELAYS-']);
        kubectl(['-n', namespace, 'rollout', 'status', `deployment/${named('cart-query')}`, '--timeout=180s']);
      }
    },
    minutes(10),
  );

  it(
    "keeps FerretDB's data (DocumentDB on its PersistentVolumeClaim) when the mongo pod is deleted",
    async () => {
      const first = await forwardTo('order-service', 8081);
      forwards.push(first);
      const before = (await call(`http://127.0.0.1:${first.port}`, 'GET', '/order-service/all')).body as { id: string }[];
      expect(before.length).toBeGreaterThan(0);
      const uid = podUid(namespace, named('mongo-0'));
      kubectl(['-n', namespace, 'delete', 'pod', named('mongo-0'), '--wait=true']);
      await podReplaced(namespace, named('mongo-0'), uid, 'mongo-0 back and Ready', 180_000);
      const order = await forwardTo('order-service', 8081);
      forwards.push(order);
      const after = await until(
        'the orders again after the restart',
        async () => {
          const r = await call(`http://127.0.0.1:${order.port}`, 'GET', '/order-service/all');
          return r.status === 200 && r.body.length === before.length ? r.body : undefined;
        },
        120_000,
      );
      expect(after.map((o: { id: string }) => o.id).sort()).toEqual(before.map((o: { id: string }) => o.id).sort());
    },
    minutes(6),
  );

  it(
    'fails an upgrade whose schema is incompatible at the pre-upgrade hook, and the running release keeps serving',
    async () => {
      // An image like the running one but for UserState's email turned into an int: no compatibility mode accepts that.
      const running = kubectl(['-n', namespace, 'get', 'deployment', named('config-service'), '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
      const context = mkdtempSync(join(tmpdir(), 'eventline-incompatible-'));
      const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'users', 'UserState.avsc'), 'utf8')) as { fields: { name: string; type: unknown }[] };
      schema.fields.find((f) => f.name === 'email')!.type = 'int';
      writeFileSync(join(context, 'UserState.avsc'), JSON.stringify(schema, null, 2));
      writeFileSync(join(context, 'Dockerfile'), `FROM ${running}\nCOPY UserState.avsc /app/schemas/users/UserState.avsc\n`);
      const incompatible = `${registryHost}/eventline-config-service:incompatible-schema`;
      await buildAndPush({ ref: incompatible, context, logPath: join(context, 'build.log') });
      rmSync(context, { recursive: true, force: true });
      const revision = async (): Promise<number> =>
        (JSON.parse((await helm(['history', release, '-n', namespace, '-o', 'json'])).stdout) as { revision: number; status: string }[]).at(-1)!.revision;
      const before = await revision();
      // A settled release first: a pod an earlier test's rollout is still terminating would leave the list below on its own.
      await waitAllReady(namespace, 180_000);
      const podsBefore = pods(namespace, 'app.kubernetes.io/component=service')
        .map((p) => p.metadata.name)
        .sort();
      const upgrade = await helm([
        'upgrade',
        release,
        join(repoRoot, 'charts', 'eventline'),
        '-n',
        namespace,
        '--reuse-values',
        '--set',
        `schemas.image=${incompatible}`,
        '--set',
        'serviceDefaults.logLevel=debug',
        '--timeout',
        '5m',
      ]);
      expect(upgrade.status).not.toBe(0);
      expect(upgrade.stderr).toMatch(/pre-upgrade hooks failed/);
      const history = JSON.parse((await helm(['history', release, '-n', namespace, '-o', 'json'])).stdout) as { revision: number; status: string }[];
      expect(history.at(-1)).toMatchObject({ revision: before + 1, status: 'failed' });
      // Nothing of the failed revision was applied: the same pods, the settings still at info, still serving.
      expect(
        pods(namespace, 'app.kubernetes.io/component=service')
          .map((p) => p.metadata.name)
          .sort(),
      ).toEqual(podsBefore);
      expect(kubectl(['-n', namespace, 'get', 'configmap', named('user-service-config'), '-o', 'jsonpath={.data.LOG_LEVEL}'])).toBe('info');
      const user = await forwardTo('user-service', 8091);
      forwards.push(user);
      const served = await call(`http://127.0.0.1:${user.port}`, 'GET', '/user-service/users/1');
      expect(served.status).toBe(200);
      const registry = await portForward(namespace, `svc/${named('schema-registry')}`, 8080);
      try {
        const versions = (await (await fetch(`http://127.0.0.1:${registry.port}/apis/ccompat/v7/subjects/users-dev.eventline.users.UserState/versions/latest`)).json()) as {
          schema: string;
        };
        expect(JSON.parse(versions.schema).fields.find((f: { name: string }) => f.name === 'email').type).toBe('string');
      } finally {
        await registry.stop();
      }
    },
    minutes(10),
  );

  it(
    'helm uninstall tears the release down in order (its pre-delete hook): nothing of it is left, and its namespace deletes',
    async () => {
      const owned = () =>
        kubectl([
          '-n',
          namespace,
          'get',
          'kafkatopics,kafkausers,kafkas,kafkanodepools,replays,redrives,jobs,statefulsets,pods',
          '-l',
          `app.kubernetes.io/instance=${release}`,
          '-o',
          'name',
        ])
          .split('\n')
          .filter(Boolean);
      expect(owned().filter((name) => name.startsWith('kafkatopic')).length).toBeGreaterThan(10);
      // The test before left a failed schemas hook Job (Helm keeps a failed hook for its post-mortem): it goes too.
      expect(owned()).toContain(`job.batch/${named('schemas')}`);
      const uninstall = await helm(['uninstall', release, '-n', namespace, '--wait=watcher', '--timeout', '6m']);
      expect({ status: uninstall.status, stderr: uninstall.stderr }).toMatchObject({ status: 0 });
      expect(uninstall.stdout).toContain(`release "${release}" uninstalled`);
      // Pods still stopping (their grace period) and Strimzi's cascade go on after helm returns.
      let left: string[] = [];
      await until(
        'nothing of the release left',
        async () => {
          left = owned();
          return left.length === 0 ? true : undefined;
        },
        minutes(3),
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${left.join(', ')}`);
      });
      // Strimzi's own operator, if this suite installed it beside the release (k8s/README.md); then the
      // namespace goes, with no finalizer left to hold it.
      removeStrimziOperatorOf(namespace);
      kubectl(['delete', 'namespace', namespace, '--wait=true', '--timeout=180s']);
      namespaceCreated = false;
      expect(spawnSync(kubeToolPaths().kubectl, ['--kubeconfig', kubeconfigPath, 'get', 'namespace', namespace], { encoding: 'utf8' }).status).not.toBe(0);
    },
    minutes(12),
  );
});
