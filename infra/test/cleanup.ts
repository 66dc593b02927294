import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { Client } from 'pg';
import { urls } from '../src/settings';

/**
 * Removes what an integration run created under the names it recorded: topics named after them or
 * prefixed by them (services under KAFKA_NAME_PREFIX), PostgreSQL databases and MongoDB databases.
 * Without it every run would leave its topics and databases on the shared local servers.
 */
export async function removeTestResources(names: string[]): Promise<void> {
  if (names.length === 0) return;
  const kafka = new Kafka({ brokers: [urls.kafka], clientId: 'eventline-test-cleanup', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ours = (topic: string) => names.some((n) => topic === n || topic.startsWith(`${n}.`));
    const topics = (await admin.listTopics()).filter(ours);
    for (let i = 0; i < topics.length; i += 100) await admin.deleteTopics({ topics: topics.slice(i, i + 100) });
  } finally {
    await admin.disconnect();
  }

  const databases = new Set(names.map((n) => n.replace(/-/g, '_')));
  const pg = new Client({ connectionString: urls.postgres });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ datname: string }>('SELECT datname FROM pg_database');
    for (const { datname } of rows.filter((r) => databases.has(r.datname))) {
      await pg.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await pg.end();
  }

  const mongo = await new MongoClient(urls.mongo).connect();
  try {
    const { databases: existing } = await mongo.db('admin').admin().listDatabases();
    const recorded = new Set(names);
    for (const { name } of existing.filter((d) => recorded.has(d.name))) await mongo.db(name).dropDatabase();
  } finally {
    await mongo.close();
  }
}
