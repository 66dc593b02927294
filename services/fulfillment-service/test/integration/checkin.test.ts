import { MongoClient } from 'mongodb';
import type { KafkaMessage } from 'kafkajs';
import { AvroCodec } from '@eventline/avro';
import { parseHeaders } from '@eventline/kafka';
import { startService, type RunningService } from '@eventline/runtime';
import { eventually, isolatedKafkaEnvironment, localKafka, requestJson, uniqueName, urls } from '@eventline/testkit';
import { fulfillmentService } from '../../src/service';

const seedBody = `{
    "internetNo": "8850049302",
    "orderNo": "5960915_106347524.2",
    "staffCode": "cs_eng_ftth",
    "jobStatus": "homecheckedin",
    "checkinLatitude": 13.7827811,
    "checkinLongitude": 100.5465937,
    "checkinDate": "2021-03-18 10:13:43"
}`;

describe('fulfillment-service (seed 001): check-ins as event notifications', () => {
  let service: RunningService<Record<string, never>>;
  let prefix: string;
  let mongo: MongoClient;
  let database: string;
  let base: string;
  const published: KafkaMessage[] = [];
  const reader = localKafka('job-checkins-reader').consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });

  beforeAll(async () => {
    const env = await isolatedKafkaEnvironment();
    prefix = env.prefix;
    database = uniqueName('fulfillment');
    service = await startService(fulfillmentService, { ...env.common, PORT: '0', LOG_LEVEL: 'silent', MONGO_URL: urls.mongo, MONGO_DB: database });
    base = `http://127.0.0.1:${service.port}/api/SOA`;
    mongo = await new MongoClient(urls.mongo).connect();
    await reader.connect();
    await reader.subscribe({ topic: `${prefix}job-checkins`, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void published.push(message) });
  });
  afterAll(async () => {
    await reader.disconnect();
    await service.stop();
    await mongo.close();
  });

  const stored = () => mongo.db(database).collection('job_checkins').countDocuments();

  it("accepts seed 001's call as written, records it, and publishes a thin notification", async () => {
    const response = await fetch(`${base}/home/checkin`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: seedBody });
    expect(response.status).toBe(201);
    const checkin = (await response.json()) as { id: string };
    expect(checkin).toMatchObject({
      orderNo: '5960915_106347524.2',
      jobStatus: 'homecheckedin',
      location: { latitude: 13.7827811, longitude: 100.5465937 },
      checkinDate: '2021-03-18 10:13:43',
    });

    await eventually(
      async () => published.length,
      (n) => n === 1,
      { what: 'the notification on job-checkins' },
    );
    const [record] = published;
    expect(record!.key?.toString()).toBe('5960915_106347524.2');
    expect(parseHeaders(record!.headers)).toMatchObject({ eventType: 'JobCheckedIn', source: 'fulfillment-service' });
    const { value } = await new AvroCodec({ registryUrl: urls.registry }).decode(record!.value as Buffer);
    expect(value).toEqual({ checkinId: checkin.id, orderNo: '5960915_106347524.2', internetNo: '8850049302', staffCode: 'cs_eng_ftth', jobStatus: 'homecheckedin' });
    await eventually(
      () => mongo.db(database).collection('job_checkins').findOne({}),
      (d) => d !== null && (d.pendingEvents as unknown[]).length === 0,
      { what: 'the pending event pulled once published' },
    );
  });

  it("returns the job's timeline in check-in order", async () => {
    const later = { ...JSON.parse(seedBody), jobStatus: 'completed', checkinDate: '2021-03-18 12:01:00' };
    const earlier = { ...JSON.parse(seedBody), jobStatus: 'onroute', checkinDate: '2021-03-18 09:30:00' };
    expect((await requestJson(`${base}/home/checkin`, 'POST', later)).status).toBe(201);
    expect((await requestJson(`${base}/home/checkin`, 'POST', earlier)).status).toBe(201);
    const timeline = await requestJson(`${base}/jobs/5960915_106347524.2`);
    expect(timeline.body.checkins.map((c: { jobStatus: string }) => c.jobStatus)).toEqual(['onroute', 'homecheckedin', 'completed']);
    expect((await requestJson(`${base}/jobs/unknown-job`)).status).toBe(404);
    await eventually(
      async () => published.length,
      (n) => n === 3,
      { what: 'three notifications' },
    );
  });

  it('refuses bad coordinates, dates, statuses and missing fields, naming each; nothing is written or published', async () => {
    const before = await stored();
    const response = await requestJson(`${base}/home/checkin`, 'POST', {
      ...JSON.parse(seedBody),
      checkinLatitude: 90.5,
      checkinLongitude: 181,
      jobStatus: 'sleeping',
      checkinDate: '2021-03-18',
      staffCode: undefined,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['checkinDate', 'checkinLatitude', 'checkinLongitude', 'jobStatus', 'staffCode']);
    expect((await requestJson(`${base}/home/checkin`, 'POST', '{"orderNo":')).body.error.code).toBe('malformed_json');
    // Notifications leave only from stored check-ins (the document is the outbox), so none can follow.
    expect(await stored()).toBe(before);
  });
});
