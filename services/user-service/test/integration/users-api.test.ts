import { Pool } from 'pg';
import { registerAll, loadCatalog } from '@eventline/avro';
import { startService, type RunningService } from '@eventline/runtime';
import { createDatabase, requestJson, uniqueName, urls } from '@eventline/testkit';
import { userService } from '../../src/service';

describe('user-service API', () => {
  let service: RunningService<Record<string, never>>;
  let db: Pool;
  let base: string;

  beforeAll(async () => {
    await registerAll(loadCatalog(), urls.registry);
    const databaseUrl = await createDatabase('users_api');
    service = await startService(userService, {
      PORT: '0',
      LOG_LEVEL: 'silent',
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: urls.kafka,
      SCHEMA_REGISTRY_URL: urls.registry,
      KAFKA_NAME_PREFIX: `${uniqueName('t')}.`,
    });
    base = `http://127.0.0.1:${service.port}/user-service`;
    db = new Pool({ connectionString: databaseUrl });
  });
  afterAll(async () => {
    await service.stop();
    await db.end();
  });

  const outboxRows = async () => (await db.query('SELECT count(*)::int AS n FROM outbox')).rows[0].n as number;
  const neha = { id: 1, firstname: 'Neha', lastname: 'Parate', email: 'neha.parate@gmail.com' };

  it('creates, reads, updates and deletes users, one outbox event per change', async () => {
    const before = await outboxRows();
    const created = await requestJson(`${base}/users`, 'POST', { firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com' });
    expect(created).toEqual({ status: 201, body: { id: 5, firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com', version: 1 } });
    expect((await requestJson(`${base}/users/5`)).body).toEqual(created.body);
    const same = await requestJson(`${base}/update`, 'PUT', { id: 5, firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com' });
    expect(same.body).toMatchObject({ version: 1 });
    expect((await requestJson(`${base}/users/5`, 'DELETE')).status).toBe(204);
    expect((await requestJson(`${base}/users/5`)).status).toBe(404);
    const events = await db.query(`SELECT record_name, payload FROM outbox ORDER BY id DESC LIMIT 2`);
    expect(events.rows).toEqual([
      { record_name: null, payload: null },
      { record_name: 'dev.eventline.users.UserState', payload: { id: 5, firstname: 'Ada', lastname: 'Lovelace', email: 'ada@example.com', version: 1 } },
    ]);
    expect(await outboxRows()).toBe(before + 2);
  });

  it("queues each change's UserState with the version the update gave the row, and nothing for an update that changes nothing", async () => {
    const created = await requestJson(`${base}/users`, 'POST', { firstname: 'Grace', lastname: 'Hopper', email: 'grace@example.com' });
    const id = created.body.id as number;
    const latest = async () => (await db.query(`SELECT key, record_name, payload FROM outbox ORDER BY id DESC LIMIT 1`)).rows[0];
    const before = await outboxRows();
    for (const [email, version] of [
      ['grace.hopper@example.com', 2],
      ['admiral@example.com', 3],
    ] as const) {
      const updated = await requestJson(`${base}/update`, 'PUT', { id, firstname: 'Grace', lastname: 'Hopper', email });
      expect(updated).toEqual({ status: 200, body: { id, firstname: 'Grace', lastname: 'Hopper', email, version } });
      expect(await latest()).toEqual({ key: String(id), record_name: 'dev.eventline.users.UserState', payload: { id, firstname: 'Grace', lastname: 'Hopper', email, version } });
    }
    const unchanged = await requestJson(`${base}/update`, 'PUT', { id, firstname: 'Grace', lastname: 'Hopper', email: 'admiral@example.com' });
    expect(unchanged.body).toMatchObject({ version: 3 });
    expect(await outboxRows()).toBe(before + 2);
  });

  describe('refuses bad input with a 4xx naming the problem, and writes and publishes nothing', () => {
    let rowsBefore: number;
    beforeEach(async () => {
      rowsBefore = await outboxRows();
    });
    afterEach(async () => {
      expect(await outboxRows()).toBe(rowsBefore);
      expect((await requestJson(`${base}/users/1`)).body).toMatchObject({ email: 'neha.parate@gmail.com', version: 1 });
    });

    const fieldsOf = (body: any) => (body.error.details as { field: string }[]).map((d) => d.field).sort();

    it('an email that is not one', async () => {
      const response = await requestJson(`${base}/update`, 'PUT', { ...neha, email: 'not-an-email' });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(fieldsOf(response.body)).toEqual(['email']);
    });

    it('missing and mistyped fields, each named', async () => {
      const response = await requestJson(`${base}/update`, 'PUT', { id: '1', lastname: 7 });
      expect(response.status).toBe(400);
      expect(fieldsOf(response.body)).toEqual(['email', 'firstname', 'id', 'lastname']);
    });

    it('an id that is an object', async () => {
      const response = await requestJson(`${base}/update`, 'PUT', { ...neha, id: { $ne: null } });
      expect(response.status).toBe(400);
      expect(fieldsOf(response.body)).toEqual(['id']);
    });

    it('malformed JSON', async () => {
      const response = await requestJson(`${base}/update`, 'PUT', '{"id": 1,');
      expect(response).toMatchObject({ status: 400, body: { error: { code: 'malformed_json' } } });
    });

    it('a body over the size limit', async () => {
      const response = await requestJson(`${base}/update`, 'PUT', { ...neha, firstname: 'x'.repeat(70 * 1024) });
      expect(response).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
    });

    it('an unknown user', async () => {
      const response = await requestJson(`${base}/update`, 'PUT', { ...neha, id: 999 });
      expect(response).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'user 999 does not exist' } } });
    });

    it('a path id of the wrong shape', async () => {
      expect((await requestJson(`${base}/users/abc`)).status).toBe(400);
      expect((await requestJson(`${base}/users/1e3`)).status).toBe(400);
    });
  });
});
