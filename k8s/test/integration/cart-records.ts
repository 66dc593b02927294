import { kubectl } from './kube';

/**
 * The cart records of `customers` in `topic`, in offset order (one partition per customer), read
 * read_committed to its end from inside `target` (a pod allowed to read it), with its credentials, the
 * kit's reader and codec; each as customer, version and quantity per item (for `cart-events`, each
 * event's version and the quantity it adds, negative for a removal).
 */
export function cartRecordsIn(namespace: string, target: string, topic: string, customers: string[]): { customerId: string; version: number; qty: Record<string, number> }[] {
  // cart-query reads cart-details; cart-aggregator reads cart-events and its changelog.
  const group = topic === 'cart-details' ? 'cart-query' : 'cart-aggregator';
  // The arguments written into the script: in a callback of a failed run, process.argv[2] read undefined.
  const script = `
  const wanted = new Set(${JSON.stringify(customers)});
  const topic = ${JSON.stringify(topic)};
  const group = ${JSON.stringify(group)};
  const { readTopicToEnd } = require('@eventline/kafka');
  const { AvroCodec } = require('@eventline/avro');
  const { createLogger } = require('@eventline/observability');
  const { kafkaFromSettings } = require('@eventline/runtime');
  const env = process.env;
  const logger = createLogger('cart-records-reader', 'error');
  const kafka = kafkaFromSettings({ KAFKA_BROKERS: env.KAFKA_BROKERS.split(','), KAFKA_SASL_USERNAME: env.KAFKA_SASL_USERNAME || '', KAFKA_SASL_PASSWORD: env.KAFKA_SASL_PASSWORD || '', KAFKA_TLS_CA_FILE: env.KAFKA_TLS_CA_FILE || '' }, 'cart-records-reader', logger);
  const codec = new AvroCodec({ registryUrl: env.SCHEMA_REGISTRY_URL });
  const prefix = env.KAFKA_NAME_PREFIX || '';
  const records = [];
  (async () => {
    await readTopicToEnd(kafka, prefix + topic, async (message) => {
      const customerId = message.key.toString();
      if (!wanted.has(customerId) || message.value === null) return;
      try {
        if (topic === 'cart-events') {
          // An event, as its writer's schema says: its version and the quantity it adds or removes.
          const { value, writerRecordName } = await codec.decode(message.value);
          const sign = writerRecordName.endsWith('CartItemRemoved') ? -1 : 1;
          records.push({ customerId, version: Number(value.version), qty: value.itemId === undefined ? {} : { [value.itemId]: sign * value.qty } });
          return;
        }
        const cart = (await codec.decode(message.value, 'dev.eventline.carts.CartDetails')).value;
        records.push({ customerId, version: Number(cart.version), qty: Object.fromEntries(cart.lines.map((l) => [l.itemId, l.qty])) });
      } catch (error) {
        // A record this reader cannot decode is named, not a reason to lose what the others say.
        throw Object.assign(new Error('offset ' + message.offset + ' of ' + customerId + ' undecodable: ' + error.message), { cause: error });
      }
    }, { groupId: prefix + group + '.cart-records-read-' + Date.now(), logger });
    console.log(JSON.stringify(records));
  })().catch((error) => { console.error(error); process.exit(1); });`;
  return JSON.parse(kubectl(['-n', namespace, 'exec', target, '--', 'node', '-e', script]));
}
