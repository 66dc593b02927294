import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { MongoClient } from 'mongodb';
import { Client } from 'pg';
import { createTopic, localKafka, uniqueName, urls } from '@eventline/testkit';

/** The whole local stack, end to end, through the same client libraries the services use. */
describe('local infrastructure', () => {
  it('carries an Avro record through the registry and Kafka, in a consumer group', async () => {
    const topic = uniqueName('stack');
    const registry = new SchemaRegistry({ host: urls.registry });
    const schema = {
      type: 'record',
      name: 'StackChecked',
      namespace: 'dev.eventline.test',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'amount', type: 'int' },
      ],
    };
    const { id: schemaId } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${topic}-value` });
    expect(schemaId).toBeGreaterThan(0);

    const kafka = localKafka();
    await createTopic(kafka, { topic, numPartitions: 1 });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const value = await registry.encode(schemaId, { id: 'a-1', amount: 42 });
    await producer.send({ topic, acks: -1, messages: [{ key: 'a-1', value }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ maxWaitTimeInMs: 250, groupId: uniqueName('stack-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const decoded = await new Promise<unknown>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            resolve(await registry.decode(message.value as Buffer));
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(decoded).toEqual({ id: 'a-1', amount: 42 });
  });

  it('writes and reads a PostgreSQL row', async () => {
    const client = new Client({ connectionString: urls.postgres });
    await client.connect();
    try {
      const table = uniqueName('stack').replace(/-/g, '_');
      await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, email text NOT NULL)`);
      await client.query(`INSERT INTO ${table} VALUES ($1, $2)`, [1, 'neha.parate@gmail.com']);
      const { rows } = await client.query(`SELECT id, email FROM ${table}`);
      expect(rows).toEqual([{ id: 1, email: 'neha.parate@gmail.com' }]);
      await client.query(`DROP TABLE ${table}`);
    } finally {
      await client.end();
    }
  });

  it('writes and reads a MongoDB document', async () => {
    const client = new MongoClient(urls.mongo);
    await client.connect();
    try {
      const collection = client.db(uniqueName('stack')).collection<{ _id: number; email: string }>('purchase_order');
      await collection.insertOne({ _id: 1, email: 'neha.parate@gmail.com' });
      expect(await collection.findOne({ _id: 1 })).toEqual({ _id: 1, email: 'neha.parate@gmail.com' });
      await collection.drop();
    } finally {
      await client.close();
    }
  });
});
