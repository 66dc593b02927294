import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { REDRIVE_COMMAND, redriveJob, redriveJobName, type RedriveOrder } from '../../src/redrive/job';
import { decodeCounts, encodeCounts } from '../../src/redrive/progress';
import { decodeRedriveResult, encodeRedriveResult } from '../../src/redrive/result';
import type { Redrive } from '../../src/redrive/types';

const redrive: Redrive = {
  apiVersion: 'eventline.dev/v1alpha1',
  kind: 'Redrive',
  metadata: { name: 'orders-back', namespace: 'shop', uid: 'uid-1' },
  spec: { topic: 'orders', filter: { eventTypes: ['OrderPlaced'] } },
};

const template: V1PodTemplateSpec = {
  spec: {
    serviceAccountName: 'operator',
    volumes: [{ name: 'kafka-ca', secret: { secretName: 'eventline-cluster-ca-cert' } }],
    containers: [
      {
        name: 'operator',
        image: 'registry/eventline-operator:1',
        env: [
          { name: 'PORT', value: '8096' },
          { name: 'KAFKA_BROKERS', value: 'eventline-kafka-bootstrap:9093' },
          { name: 'KAFKA_SASL_USERNAME', value: 'eventline-operator' },
          { name: 'KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'eventline-operator', key: 'password' } } },
          { name: 'KAFKA_SASL_PASSWORD_FILE', value: '/etc/eventline/kafka-user/password' },
          { name: 'REDRIVE_KAFKA_USER', value: 'eventline-operator-redrive' },
        ],
        volumeMounts: [{ name: 'kafka-ca', mountPath: '/etc/eventline/kafka-ca' }],
      },
    ],
  },
};

const options = {
  template,
  groupId: 'operator.redrive-uid-1',
  endOffsets: [{ partition: 0, offset: '12' }],
  owner: { apiVersion: 'eventline.dev/v1alpha1', kind: 'Redrive', name: 'orders-back', uid: 'uid-1', controller: true },
  kafkaUser: 'eventline-operator-redrive',
  attempts: 3,
  recordsPerTransaction: 50,
};

const envOf = (job: ReturnType<typeof redriveJob>) => job.spec!.template.spec!.containers[0]!.env!;

describe('redriveJob', () => {
  it("runs the redrive command of the operator's image, owned by the Redrive, with attempts - 1 retries", () => {
    const job = redriveJob(redrive, options);
    expect(job.metadata).toMatchObject({ name: 'redrive-orders-back', namespace: 'shop', ownerReferences: [options.owner] });
    expect(job.spec!.backoffLimit).toBe(2);
    const container = job.spec!.template.spec!.containers[0]!;
    expect(container).toMatchObject({ name: 'redrive', image: 'registry/eventline-operator:1', command: REDRIVE_COMMAND, terminationMessagePath: '/dev/termination-log' });
    // Kafka's TLS trust comes along; the Kubernetes API does not.
    expect(container.volumeMounts).toEqual(template.spec!.containers[0]!.volumeMounts);
    expect(job.spec!.template.spec).toMatchObject({ volumes: template.spec!.volumes, automountServiceAccountToken: false, restartPolicy: 'Never' });
  });

  it("runs as the redrive Kafka user, not the operator's, and carries what it moves in its environment", () => {
    const env = envOf(redriveJob(redrive, options));
    expect(env).toContainEqual({ name: 'KAFKA_SASL_USERNAME', value: 'eventline-operator-redrive' });
    expect(env).toContainEqual({ name: 'KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'eventline-operator-redrive', key: 'password' } } });
    expect(env).toContainEqual({ name: 'KAFKA_BROKERS', value: 'eventline-kafka-bootstrap:9093' });
    expect(env.map((e) => e.name)).not.toContain('PORT');
    // The operator's mounted password file would authenticate the Job as the operator.
    expect(env.map((e) => e.name)).not.toContain('KAFKA_SASL_PASSWORD_FILE');
    expect(env.filter((e) => e.name === 'REDRIVE_KAFKA_USER')).toEqual([]);
    const value = (name: string) => env.find((e) => e.name === name)?.value;
    expect(JSON.parse(value('REDRIVE')!)).toEqual({ namespace: 'shop', name: 'orders-back', uid: 'uid-1', spec: redrive.spec } satisfies RedriveOrder);
    expect(JSON.parse(value('REDRIVE_END_OFFSETS')!)).toEqual([{ partition: 0, offset: '12' }]);
    expect(value('REDRIVE_GROUP_ID')).toBe('operator.redrive-uid-1');
    expect(value('REDRIVE_RECORDS_PER_TRANSACTION')).toBe('50');
  });

  it("keeps the operator's credentials when no redrive user is named (a Kafka without users)", () => {
    const env = envOf(redriveJob(redrive, { ...options, kafkaUser: '' }));
    expect(env).toContainEqual({ name: 'KAFKA_SASL_USERNAME', value: 'eventline-operator' });
  });

  it('names the Job within 63 characters', () => {
    const long = { ...redrive, metadata: { ...redrive.metadata, name: 'x'.repeat(70) } };
    expect(redriveJobName(long)).toHaveLength(63);
  });
});

describe('the redrive result (the pod termination message)', () => {
  it('carries the counts of a run that finished, or its error', () => {
    const counts = { moved: 3, skipped: 1, matched: 3, alreadyMoved: 2 };
    expect(decodeRedriveResult(encodeRedriveResult({ counts }))).toEqual({ counts });
    expect(decodeRedriveResult(encodeRedriveResult({ error: 'Connection error: connect ECONNREFUSED' }))).toEqual({ error: 'Connection error: connect ECONNREFUSED' });
  });

  it('keeps an error within the 4096 bytes Kubernetes keeps', () => {
    const encoded = encodeRedriveResult({ error: 'e'.repeat(10_000) });
    expect(encoded.length).toBeLessThanOrEqual(4096);
    expect(decodeRedriveResult(encoded)).toEqual({ error: expect.stringMatching(/^e+…$/) });
  });

  it('is nothing when the message is not one (a container killed before it wrote it)', () => {
    expect(decodeRedriveResult('')).toBeUndefined();
    expect(decodeRedriveResult('OOMKilled')).toBeUndefined();
    expect(decodeRedriveResult('{"other":1}')).toBeUndefined();
  });
});

describe('the counts committed as offset metadata', () => {
  it('round-trip, and read as none when absent or of another version', () => {
    const counts = { moved: 5, skipped: 0, matched: 5, alreadyMoved: 1 };
    expect(decodeCounts(encodeCounts(counts))).toEqual(counts);
    expect(decodeCounts('')).toEqual({ moved: 0, skipped: 0, matched: 0, alreadyMoved: 0 });
    expect(decodeCounts('{"v":2,"moved":5}')).toEqual({ moved: 0, skipped: 0, matched: 0, alreadyMoved: 0 });
  });
});
