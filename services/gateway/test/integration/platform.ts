import { createHash } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { Client } from 'pg';
import type { HttpService } from '@eventline/http';
import { createLogger } from '@eventline/observability';
import {
  createDatabase,
  eventually,
  isolatedKafkaEnvironment,
  localKafka,
  removeScrapeTargets,
  requestJson,
  startServiceProcess,
  uniqueName,
  urls,
  writeScrapeTargets,
  type ServiceProcess,
} from '@eventline/testkit';
import { createGateway } from '../../src/gateway';
import { loadRouteTable, DEFAULT_ROUTES_FILE, type RouteTable } from '../../src/routes';
import { resolveUpstreams, upstreamVariable } from '../../src/upstreams';

/** Every service behind the public routes, in one isolated environment, with the local gateway in front. */
export interface Platform {
  gatewayUrl: string;
  table: RouteTable;
  services: Map<string, ServiceProcess>;
  prefix: string;
  databases: { postgres: string[]; mongo: string[] };
  stop(): Promise<void>;
}

export async function startPlatform(extraEnv: NodeJS.ProcessEnv = {}): Promise<Platform> {
  const { prefix, common } = await isolatedKafkaEnvironment();
  const base = { ...common, ...extraEnv };
  const postgres = { users: await createDatabase('users'), product: await createDatabase('product'), cart: await createDatabase('cart') };
  const mongo = { orders: uniqueName('orders'), carts: uniqueName('carts'), fulfillment: uniqueName('fulfillment') };
  const envs: Record<string, NodeJS.ProcessEnv> = {
    'user-service': { ...base, DATABASE_URL: postgres.users },
    'product-service': { ...base, DATABASE_URL: postgres.product },
    'order-service': { ...base, MONGO_URL: urls.mongo, MONGO_DB: mongo.orders },
    'cart-service': { ...base, DATABASE_URL: postgres.cart },
    'cart-aggregator': base,
    'cart-query': { ...base, MONGO_URL: urls.mongo, MONGO_DB: mongo.carts },
    'fulfillment-service': { ...base, MONGO_URL: urls.mongo, MONGO_DB: mongo.fulfillment },
  };
  const services = new Map<string, ServiceProcess>();
  // Two at a time: the machine has 2 cores, and each start compiles its TypeScript.
  const names = Object.keys(envs);
  for (let i = 0; i < names.length; i += 2) {
    await Promise.all(names.slice(i, i + 2).map(async (name) => services.set(name, await startServiceProcess(name, envs[name]!))));
  }
  // The local Prometheus scrapes these processes, labelled with this platform's prefix.
  const scrapeSet = prefix.replace(/[^A-Za-z0-9_-]/g, '_');
  writeScrapeTargets(
    scrapeSet,
    [...services].map(([name, service]) => ({ service: name, address: `127.0.0.1:${service.port}` })),
    { platform: prefix },
  );
  const table = loadRouteTable(DEFAULT_ROUTES_FILE);
  const overrides = Object.fromEntries([...services].map(([name, service]) => [upstreamVariable(name), service.url]));
  const gateway: HttpService = createGateway({ port: 0, logger: createLogger('gateway', 'warn'), table, upstreams: resolveUpstreams(table, overrides), upstreamTimeoutMs: 30_000 });
  const { port } = await gateway.start();
  const gatewayUrl = `http://127.0.0.1:${port}`;
  // Ready when order-service holds seed 000's user 1 and product 1, and cart-service knows product 1.
  await eventually(
    () => requestJson(`${gatewayUrl}/api/v1/add`, 'POST', { customerId: 'platform-probe', itemId: '1', qty: 1 }),
    (r) => r.status === 200,
    { what: 'cart-service knows product 1', timeoutMs: 90_000 },
  );
  await eventually(
    () => requestJson(`${gatewayUrl}/order-service/orders`, 'POST', { userId: 1, productId: 1, qty: 1 }),
    (r) => r.status === 201,
    { what: 'order-service holds user 1 and product 1', timeoutMs: 90_000 },
  );
  return {
    gatewayUrl,
    table,
    services,
    prefix,
    databases: { postgres: Object.values(postgres), mongo: Object.values(mongo) },
    async stop() {
      removeScrapeTargets(scrapeSet);
      await gateway.stop();
      await Promise.all([...services.values()].map((s) => s.process.kill('SIGTERM')));
    },
  };
}

/**
 * A digest of everything the platform has stored and published: every table of its PostgreSQL
 * databases, every collection of its MongoDB databases, and the end offsets of its topics.
 */
export async function stateDigest(platform: Platform): Promise<string> {
  const hash = createHash('sha256');
  for (const url of platform.databases.postgres) {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows: tables } = await client.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
      for (const { name } of tables) {
        const { rows } = await client.query<{ digest: string | null }>(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM "${name}" t`);
        hash.update(`${url}/${name}=${rows[0]?.digest ?? ''};`);
      }
    } finally {
      await client.end();
    }
  }
  const mongo = await new MongoClient(urls.mongo).connect();
  try {
    for (const name of platform.databases.mongo) {
      const db = mongo.db(name);
      for (const { name: collection } of (await db.listCollections({}, { nameOnly: true }).toArray()).sort((a, b) => a.name.localeCompare(b.name))) {
        const documents = await db.collection(collection).find({}).sort({ _id: 1 }).toArray();
        hash.update(`${name}/${collection}=${JSON.stringify(documents)};`);
      }
    }
  } finally {
    await mongo.close();
  }
  const admin = localKafka('digest').admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(platform.prefix)).sort();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      hash.update(
        `${topic}=${offsets
          .map((o) => `${o.partition}:${o.high}`)
          .sort()
          .join(',')};`,
      );
    }
  } finally {
    await admin.disconnect();
  }
  return hash.digest('hex');
}

/** Waits until nothing moves any more (outboxes published, consumers caught up): two equal digests 300 ms apart. */
export async function settled(platform: Platform, timeoutMs = 30_000): Promise<string> {
  let previous = await stateDigest(platform);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const current = await stateDigest(platform);
    if (current === previous) return current;
    if (Date.now() > deadline) throw new Error(`the platform did not settle within ${timeoutMs} ms`);
    previous = current;
  }
}
