import { MongoClient, type Db } from 'mongodb';
import { startService, type RunningService } from '@eventline/runtime';
import { requestJson, uniqueName, urls } from '@eventline/testkit';
import { registerAll, loadCatalog } from '@eventline/avro';
import { orderService } from '../../src/service';

describe('order-service API: bad input', () => {
  let service: RunningService<Record<string, never>>;
  let client: MongoClient;
  let db: Db;
  let base: string;

  beforeAll(async () => {
    await registerAll(loadCatalog(), urls.registry);
    const database = uniqueName('orders');
    service = await startService(orderService, {
      PORT: '0',
      LOG_LEVEL: 'silent',
      MONGO_URL: urls.mongo,
      MONGO_DB: database,
      KAFKA_BROKERS: urls.kafka,
      SCHEMA_REGISTRY_URL: urls.registry,
      KAFKA_NAME_PREFIX: `${uniqueName('t')}.`,
    });
    base = `http://127.0.0.1:${service.port}/order-service`;
    client = await new MongoClient(urls.mongo).connect();
    db = client.db(database);
    // A user the local copy knows, as if its UserState had arrived; no product yet.
    await db.collection('users_v1').insertOne({ _id: 1 as never, firstname: 'Neha', lastname: 'Parate', email: 'neha.parate@gmail.com', version: 1 });
  });
  afterAll(async () => {
    await service.stop();
    await client.close();
  });

  afterEach(async () => {
    expect(await db.collection('purchase_order').countDocuments()).toBe(0);
  });

  const fieldsOf = (body: any) => (body.error.details as { field: string }[]).map((d) => d.field).sort();

  it('an unknown user or product: 404 naming which', async () => {
    const noUser = await requestJson(`${base}/orders`, 'POST', { userId: 42, productId: 1, qty: 1 });
    expect(noUser).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'user 42 does not exist', details: [{ field: 'userId', message: 'user 42 does not exist' }] } },
    });
    const noProduct = await requestJson(`${base}/orders`, 'POST', { userId: 1, productId: 7, qty: 1 });
    expect(noProduct.status).toBe(404);
    expect(noProduct.body.error.message).toBe('product 7 does not exist');
  });

  it('qty that is zero, negative or not an integer', async () => {
    for (const qty of [0, -2, 1.5, '1']) {
      const response = await requestJson(`${base}/orders`, 'POST', { userId: 1, productId: 1, qty });
      expect(response.status).toBe(400);
      expect(fieldsOf(response.body)).toEqual(['qty']);
    }
  });

  it('ids that are objects or strings, and missing fields', async () => {
    const response = await requestJson(`${base}/orders`, 'POST', { userId: { $ne: null }, productId: '1' });
    expect(response.status).toBe(400);
    expect(fieldsOf(response.body)).toEqual(['productId', 'qty', 'userId']);
  });

  it('malformed JSON, and an order id of the wrong shape', async () => {
    expect((await requestJson(`${base}/orders`, 'POST', '{"userId":')).body.error.code).toBe('malformed_json');
    const badId = await requestJson(`${base}/orders/not-an-id`);
    expect(badId.status).toBe(400);
    expect(fieldsOf(badId.body)).toEqual(['id']);
    expect((await requestJson(`${base}/orders/0123456789abcdef01234567`)).status).toBe(404);
  });
});
