import { Kafka, logLevel } from 'kafkajs';
import { startPrivateKafka } from './private-kafka';

/**
 * A second, separate Kafka broker (the same 4.3.1 jars as infra's) configured as the chart's Strimzi
 * `Kafka` is: a SCRAM-SHA-512 listener, the StandardAuthorizer, no access without an ACL, no topic
 * auto-creation. Users and their passwords are created at format time; `admin` is the super user.
 */
export interface SecuredKafka {
  broker: string;
  adminPassword: string;
  /** A kafkajs client authenticating as `user`. */
  client(user: string, password: string, clientId?: string): Kafka;
  stop(): Promise<void>;
}

export interface SecuredKafkaOptions {
  /** The address clients reach it on: default 127.0.0.1 (a cluster's pods: the node's address). */
  host?: string;
  /** Users besides `admin` allowed everything (no ACLs needed): for clients whose rights are not under test. */
  superUsers?: string[];
}

export async function startSecuredKafka(dir: string, users: Record<string, string>, options: SecuredKafkaOptions = {}): Promise<SecuredKafka> {
  const adminPassword = 'admin-secret';
  const scram = Object.entries({ admin: adminPassword, ...users }).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]);
  const kafka = await startPrivateKafka(dir, {
    clusterId: 'eventline-secured-test',
    formatArgs: scram,
    sasl: { mechanism: 'scram-sha-512', username: 'admin', password: adminPassword },
    host: options.host,
    listenerProperties: (port, controllerPort, host) => [
      `listeners=SASL_PLAINTEXT://${host}:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=SASL_PLAINTEXT://${host}:${port}`,
      'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=SASL_PLAINTEXT',
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${adminPassword}";`,
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      // ANONYMOUS is the broker talking to its own controller over the local PLAINTEXT controller listener.
      `super.users=${['admin', 'ANONYMOUS', ...(options.superUsers ?? [])].map((u) => `User:${u}`).join(';')}`,
      'allow.everyone.if.no.acl.found=false',
    ],
  });
  const client = (user: string, password: string, clientId = `test-${user}`) =>
    new Kafka({ brokers: [kafka.broker], clientId, logLevel: logLevel.NOTHING, sasl: { mechanism: 'scram-sha-512', username: user, password }, retry: { retries: 3 } });
  return { broker: kafka.broker, adminPassword, client, stop: () => kafka.stop() };
}
