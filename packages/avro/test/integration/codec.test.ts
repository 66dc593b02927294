import type { Kafka } from 'kafkajs';
import { createTopic, eventually, localKafka, uniqueName, urls } from '@eventline/testkit';
import { AvroCodec, registerAll, SchemaNotRegisteredError, UndecodableRecordError } from '../../src';
import { catalogOf, paymentV1, paymentV2WithDefault, record } from '../fixtures';

type Payment = { id: number; amount: number; currency?: string };
type Events = Record<string, Payment>;
const paymentName = 'dev.eventline.test.Payment';

async function undecodable(promise: Promise<unknown>): Promise<UndecodableRecordError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UndecodableRecordError);
  return error as UndecodableRecordError;
}

describe('schema evolution through Kafka', () => {
  const topic = uniqueName('payments');
  const oldCatalog = catalogOf(topic, [paymentV1]);
  const newCatalog = catalogOf(topic, [paymentV2WithDefault]);
  let kafka: Kafka;

  beforeAll(async () => {
    kafka = localKafka('avro-evolution-test');
    await createTopic(kafka, { topic, numPartitions: 1 });
    expect((await registerAll(oldCatalog, urls.registry)).ok).toBe(true);
    expect((await registerAll(newCatalog, urls.registry)).ok).toBe(true);
  });

  it('a consumer built on the old schema reads records written with the new one', async () => {
    const writer = new AvroCodec<Events>({ catalog: newCatalog, registryUrl: urls.registry });
    const oldWriter = new AvroCodec<Events>({ catalog: oldCatalog, registryUrl: urls.registry });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic,
        messages: [
          { key: '1', value: await writer.encode(topic, paymentName, { id: 1, amount: 250, currency: 'USD' }) },
          { key: '2', value: await oldWriter.encode(topic, paymentName, { id: 2, amount: 99 }) },
        ],
      });
    } finally {
      await producer.disconnect();
    }

    const received: Buffer[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('avro-evolution') });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.push(message.value!) });
      await eventually(
        async () => received.length,
        (n) => n >= 2,
        { what: 'both records consumed' },
      );
    } finally {
      await consumer.disconnect();
    }

    const oldReader = new AvroCodec<Events>({ catalog: oldCatalog, registryUrl: urls.registry });
    const newId = await writer.schemaId(topic, paymentName);
    const fromNew = await oldReader.decode(received[0]!, paymentName);
    expect(fromNew).toEqual({ value: { id: 1, amount: 250 }, schemaId: newId, writerRecordName: paymentName });
    expect(fromNew.value).not.toHaveProperty('currency');
    // Without a reader name the codec still reads with its local schema of the writer's record type.
    expect((await oldReader.decode(received[0]!)).value).toEqual({ id: 1, amount: 250 });

    // And the other way round (BACKWARD): the new schema reads an old record, filling the default.
    const newReader = new AvroCodec<Events>({ catalog: newCatalog, registryUrl: urls.registry });
    expect((await newReader.decode(received[1]!, paymentName)).value).toEqual({ id: 2, amount: 99, currency: 'EUR' });
  });
});

describe('codec registration and undecodable records', () => {
  const topic = uniqueName('payments');
  const catalog = catalogOf(topic, [paymentV1]);

  it('does not register by default, and registers once when allowed', async () => {
    const strict = new AvroCodec<Events>({ catalog, registryUrl: urls.registry });
    await expect(strict.encode(topic, paymentName, { id: 1, amount: 5 })).rejects.toThrow(SchemaNotRegisteredError);

    const eager = new AvroCodec<Events>({ catalog, registryUrl: urls.registry, autoRegister: true });
    const bytes = await eager.encode(topic, paymentName, { id: 1, amount: 5 });
    const id = await eager.schemaId(topic, paymentName);
    expect(bytes.subarray(0, 5)).toEqual(Buffer.from([0, (id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]));
    // The failed lookup was not cached: the strict codec now finds the registered id.
    expect(await strict.schemaId(topic, paymentName)).toBe(id);
    expect(await strict.decode(bytes, paymentName)).toEqual({ value: { id: 1, amount: 5 }, schemaId: id, writerRecordName: paymentName });
  });

  it('throws UndecodableRecordError for bytes that are not Confluent-framed Avro', async () => {
    const codec = new AvroCodec<Events>({ catalog, registryUrl: urls.registry });
    expect((await undecodable(codec.decode(Buffer.from('{"id":1}')))).reason).toBe('not-confluent-avro');
    expect((await undecodable(codec.decode(Buffer.from([0, 0, 1])))).reason).toBe('not-confluent-avro');
  });

  it('throws UndecodableRecordError for an unknown schema id', async () => {
    const codec = new AvroCodec<Events>({ catalog, registryUrl: urls.registry });
    const unknownId = 2_000_000_000;
    const bytes = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), Buffer.from([2, 4])]);
    bytes.writeInt32BE(unknownId, 1);
    const error = await undecodable(codec.decode(bytes));
    expect(error).toMatchObject({ reason: 'unknown-schema-id', schemaId: unknownId });
    expect(error.message).toBe(`the registry has no schema with id ${unknownId}`);
  });

  it('throws UndecodableRecordError for a truncated body and for a record type the reader did not ask for', async () => {
    const codec = new AvroCodec<Events>({ catalog, registryUrl: urls.registry, autoRegister: true });
    const bytes = await codec.encode(topic, paymentName, { id: 300, amount: 7 });
    expect((await undecodable(codec.decode(bytes.subarray(0, 6), paymentName))).reason).toBe('malformed-payload');

    const otherTopic = uniqueName('refunds');
    const refunds = catalogOf(otherTopic, [record('Refund', [{ name: 'id', type: 'long' }])]);
    const refundCodec = new AvroCodec<Record<string, { id: number }>>({ catalog: refunds, registryUrl: urls.registry, autoRegister: true });
    const refund = await refundCodec.encode(otherTopic, 'dev.eventline.test.Refund', { id: 1 });
    const error = await undecodable(codec.decode(refund, paymentName));
    expect(error.reason).toBe('unexpected-record');
    expect(error.message).toMatch(/writes dev\.eventline\.test\.Refund, but the reader expects dev\.eventline\.test\.Payment$/);
  });
});
