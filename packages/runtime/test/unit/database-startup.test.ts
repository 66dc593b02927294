import { isTransientKafkaError } from '@eventline/kafka';
import { isTransientMongoError } from '@eventline/mongo';
import { isTransientPostgresError } from '@eventline/postgres';
import { isTransient } from '../../src/transient';

/** What the runtime's start-up waits out before its migrations run (isTransient, shared with the consumers). */
const isPostgresStarting = isTransient;
const isMongoStarting = isTransient;

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const named = (name: string) => Object.assign(new Error(name), { name });

describe('what a starting database says, and what it does not', () => {
  it('retries PostgreSQL that is not there yet, starting up, or dropping connections', () => {
    expect(isPostgresStarting(withCode('connect ECONNREFUSED 10.96.0.5:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isPostgresStarting(withCode('getaddrinfo ENOTFOUND postgres', 'ENOTFOUND'))).toBe(true);
    expect(isPostgresStarting(withCode('the database system is starting up', '57P03'))).toBe(true);
    expect(isPostgresStarting(withCode('connection failure', '08006'))).toBe(true);
    expect(isPostgresStarting(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('does not retry what waiting cannot fix', () => {
    expect(isPostgresStarting(withCode('password authentication failed for user "eventline"', '28P01'))).toBe(false);
    expect(isPostgresStarting(withCode('database "users" does not exist', '3D000'))).toBe(false);
    expect(isPostgresStarting(withCode('syntax error at or near "CREAT"', '42601'))).toBe(false);
    expect(isPostgresStarting('ECONNREFUSED')).toBe(false);
  });

  it('retries MongoDB that cannot be selected or reached, not a refused command', () => {
    expect(isMongoStarting(named('MongoServerSelectionError'))).toBe(true);
    expect(isMongoStarting(named('MongoNetworkError'))).toBe(true);
    expect(isMongoStarting(named('MongoServerError'))).toBe(false);
    expect(isMongoStarting(named('MongoParseError'))).toBe(false);
  });
});

describe("each driver's classification knows its own errors, and isTransient all of them", () => {
  const startingPostgres = withCode('the database system is starting up', '57P03');
  const droppedPostgres = new Error('Connection terminated unexpectedly');
  const unreachableMongo = named('MongoServerSelectionError');
  const refused = withCode('connect ECONNREFUSED 10.96.0.5:5432', 'ECONNREFUSED');

  it("PostgreSQL's SQLSTATEs and dropped connections are in isTransientPostgresError only", () => {
    expect([startingPostgres, droppedPostgres].map(isTransientPostgresError)).toEqual([true, true]);
    expect([startingPostgres, droppedPostgres].map(isTransientMongoError)).toEqual([false, false]);
    expect([startingPostgres, droppedPostgres].map(isTransientKafkaError)).toEqual([false, false]);
  });

  it("MongoDB's error names are in isTransientMongoError only", () => {
    expect([isTransientMongoError, isTransientPostgresError, isTransientKafkaError].map((f) => f(unreachableMongo))).toEqual([true, false, false]);
  });

  it("the network is the Kafka package's, shared by every driver through isTransient", () => {
    expect([isTransientKafkaError, isTransientPostgresError, isTransientMongoError].map((f) => f(refused))).toEqual([true, false, false]);
    expect([startingPostgres, droppedPostgres, unreachableMongo, refused, named('KafkaJSConnectionError')].map(isTransient)).toEqual([true, true, true, true, true]);
  });
});
