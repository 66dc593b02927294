import { join } from 'node:path';
import { buildCatalog, CatalogError, kafkaTopics, loadCatalog, catalogSubjects } from '../../src';
import { paymentV1, record } from '../fixtures';

const payment = { file: 'test/Payment.avsc', text: JSON.stringify(paymentV1) };
const topics = (entries: unknown[]) => JSON.stringify({ topics: entries });
const paymentsTopic = { name: 'payments', partitions: 3, compacted: false, records: ['dev.eventline.test.Payment'] };

function problemsOf(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    return (error as CatalogError).problems;
  }
  throw new Error('expected a CatalogError');
}

describe('the repository catalog', () => {
  const catalog = loadCatalog(join(__dirname, '..', '..', '..', '..', 'schemas'));

  it('has users and products, compacted, each with its record and a BACKWARD default', () => {
    expect(catalog.topics.get('users')).toMatchObject({
      compacted: true,
      records: ['dev.eventline.users.UserState'],
      compatibility: { 'dev.eventline.users.UserState': 'BACKWARD' },
      dlq: { name: 'users.dlq', compacted: false },
    });
    expect(catalog.topics.get('products')?.records).toEqual(['dev.eventline.products.ProductState']);
    expect(catalog.records.get('dev.eventline.users.UserState')?.type.fields.map((f) => f.name)).toEqual(['id', 'firstname', 'lastname', 'email', 'version']);
  });

  it('names subjects <topic>-<record full name>, one per record a topic carries', () => {
    const expected = [...catalog.topics.values()].flatMap((t) => t.records.map((r) => `${t.name}-${r}`));
    expect(catalogSubjects(catalog).map((s) => s.subject)).toEqual(expected);
    expect(expected).toContain('users-dev.eventline.users.UserState');
    expect(expected).toContain('cart-events-dev.eventline.carts.CartCheckedOut');
  });

  it('lists every topic and its dead-letter twin for the Kafka package', () => {
    const configs = kafkaTopics(catalog);
    for (const topic of catalog.topics.values()) {
      expect(configs).toContainEqual({
        topic: topic.name,
        numPartitions: topic.partitions,
        configEntries: [{ name: 'cleanup.policy', value: topic.compacted ? 'compact' : 'delete' }],
      });
      expect(configs).toContainEqual({ topic: `${topic.name}.dlq`, numPartitions: topic.partitions, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] });
    }
    expect(configs).toHaveLength(catalog.topics.size * 2);
    expect(configs.find((c) => c.topic === 'users')?.configEntries).toEqual([{ name: 'cleanup.policy', value: 'compact' }]);
  });
});

describe('catalog validation', () => {
  it('accepts a compatibility override and keeps BACKWARD for the rest', () => {
    const refund = record('Refund', [{ name: 'id', type: 'long' }]);
    const catalog = buildCatalog(
      [payment, { file: 'test/Refund.avsc', text: JSON.stringify(refund) }],
      topics([{ ...paymentsTopic, records: [...paymentsTopic.records, 'dev.eventline.test.Refund'], compatibility: { 'dev.eventline.test.Refund': 'FULL' } }]),
    );
    expect(catalog.topics.get('payments')?.compatibility).toEqual({
      'dev.eventline.test.Payment': 'BACKWARD',
      'dev.eventline.test.Refund': 'FULL',
    });
  });

  it('names an unknown record and suggests the right full name', () => {
    const problems = problemsOf(() => buildCatalog([payment], topics([{ ...paymentsTopic, records: ['dev.eventline.payments.Payment'] }])));
    expect(problems).toEqual(['topics.json: topic "payments": unknown record dev.eventline.payments.Payment (did you mean dev.eventline.test.Payment?)']);
  });

  it('refuses duplicate topics, duplicate records on a topic and a record defined twice', () => {
    const problems = problemsOf(() =>
      buildCatalog(
        [payment, { file: 'test/other/Payment.avsc', text: JSON.stringify({ ...paymentV1, namespace: 'dev.eventline.test' }) }],
        topics([{ ...paymentsTopic, records: ['dev.eventline.test.Payment', 'dev.eventline.test.Payment'] }, paymentsTopic]),
      ),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'test/other/Payment.avsc: record dev.eventline.test.Payment is already defined in test/Payment.avsc',
        'topics.json: topic "payments": record dev.eventline.test.Payment is listed twice',
        'topics.json: topic "payments" is listed twice',
      ]),
    );
  });

  it('checks partitions, compacted, unknown keys, listed .dlq topics and compatibility levels', () => {
    const problems = problemsOf(() =>
      buildCatalog(
        [payment],
        topics([
          { ...paymentsTopic, partitions: 0, compacted: 'yes', compaction: true, compatibility: { 'dev.eventline.test.Payment': 'SOMETIMES' } },
          { ...paymentsTopic, name: 'payments.dlq' },
        ]),
      ),
    );
    expect(problems).toEqual([
      'topics.json: topic "payments": unknown key "compaction" (allowed: name, partitions, compacted, records, compatibility)',
      'topics.json: topic "payments": "partitions" must be a positive integer',
      'topics.json: topic "payments": "compacted" must be true or false',
      'topics.json: topic "payments": compatibility of dev.eventline.test.Payment must be one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, got "SOMETIMES"',
      'topics.json: topic "payments.dlq": ".dlq" topics are implicit dead-letter twins; do not list them',
    ]);
  });

  it('checks the .avsc files: JSON, Avro validity, namespace and file name', () => {
    const problems = problemsOf(() =>
      buildCatalog(
        [
          { file: 'test/Broken.avsc', text: '{ "type": "record", ' },
          { file: 'test/Bad.avsc', text: JSON.stringify(record('Bad', [{ name: 'x', type: 'integer' }])) },
          { file: 'test/Wrong.avsc', text: JSON.stringify(record('Right', [{ name: 'x', type: 'int' }], 'dev.eventline.orders')) },
          { file: 'test/Many.avsc', text: JSON.stringify([paymentV1]) },
        ],
        topics([]),
      ),
    );
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^test\/Bad\.avsc: not a valid Avro schema \(.*integer/);
    expect(problems[1]).toMatch(/^test\/Broken\.avsc: not valid JSON/);
    expect(problems.slice(2)).toEqual([
      'test/Many.avsc: must hold exactly one Avro record (a JSON object with "type": "record")',
      'test/Wrong.avsc: namespace must be "dev.eventline.test" (the folder names the domain), found "dev.eventline.orders"',
      'test/Wrong.avsc: the file must be named after its record (Right.avsc)',
    ]);
  });
});
