import type { Kafka } from 'kafkajs';
import { createLogger } from '@eventline/observability';
import { GroupMember } from '../../src/group-member';

/** A kafkajs consumer that only records its listeners, so a test can play its events. */
function fakeKafka() {
  const listeners = new Map<string, ((event: { payload: Record<string, unknown> }) => void)[]>();
  const names = ['REQUEST', 'REQUEST_TIMEOUT', 'FETCH_START', 'FETCH', 'HEARTBEAT', 'CONNECT', 'REBALANCING', 'GROUP_JOIN', 'CRASH'];
  const consumer = {
    events: Object.fromEntries(names.map((name) => [name, `consumer.${name.toLowerCase()}`])),
    on: (event: string, listener: (event: { payload: Record<string, unknown> }) => void) => {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
    },
    connect: async () => undefined,
  };
  const emit = (name: string, payload: Record<string, unknown>) => {
    for (const listener of listeners.get(`consumer.${name.toLowerCase()}`) ?? []) listener({ payload });
  };
  return { kafka: { consumer: () => consumer } as unknown as Kafka, emit };
}

describe('GroupMember readiness', () => {
  let stopping = false;
  const members: GroupMember[] = [];
  const member = (kafka: Kafka, maxRestarts = 5) => {
    const created = new GroupMember({
      kafka,
      groupId: 'g',
      logger: createLogger('test', 'silent'),
      maxWaitTimeInMs: 100,
      isStopping: () => stopping,
      run: async () => undefined,
      maxRestarts,
      restartBackoff: { initialMs: 60_000, maxMs: 60_000, jitter: false },
    });
    members.push(created);
    return created;
  };
  afterEach(() => {
    for (const m of members.splice(0)) m.close();
    stopping = false;
  });

  it('is not ready before it first joins its group', () => {
    const { kafka } = fakeKafka();
    expect(member(kafka).isReady()).toBe(false);
  });

  it('stays ready through a crash it recovers from (a broker restart moving the coordinator), not joined meanwhile', () => {
    const { kafka, emit } = fakeKafka();
    const m = member(kafka);
    emit('GROUP_JOIN', { memberAssignment: {} });
    expect(m.isReady()).toBe(true);
    emit('CRASH', { error: new Error('The coordinator is not aware of this member'), restart: true });
    expect({ joined: m.isJoined(), ready: m.isReady(), alive: m.isAlive() }).toEqual({ joined: false, ready: true, alive: true });
  });

  it('is neither ready nor alive once it crashed for good, and not ready while its owner stops', () => {
    const { kafka, emit } = fakeKafka();
    const m = member(kafka, 0);
    emit('GROUP_JOIN', { memberAssignment: {} });
    emit('CRASH', { error: new Error('Not authorized'), restart: false });
    expect({ ready: m.isReady(), alive: m.isAlive() }).toEqual({ ready: false, alive: false });

    const other = fakeKafka();
    const n = member(other.kafka);
    other.emit('GROUP_JOIN', { memberAssignment: {} });
    stopping = true;
    expect(n.isReady()).toBe(false);
  });
});
