import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { formatKafkaStorage, freePort, kafkaClasspath, singleNodeProperties, writeKafkaLog4j } from '@eventline/infra';

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

export async function startSecuredKafka(dir: string, users: Record<string, string>): Promise<SecuredKafka> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const [port, controllerPort] = [await freePort(), await freePort()];
  const adminPassword = 'admin-secret';
  const properties = join(dir, 'server.properties');
  writeFileSync(properties, [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
    `listeners=SASL_PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=SASL_PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${adminPassword}";`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    // ANONYMOUS is the broker talking to its own controller over the local PLAINTEXT controller listener.
    'super.users=User:admin;User:ANONYMOUS',
    'allow.everyone.if.no.acl.found=false',
    ...singleNodeProperties(join(dir, 'data')),
    '',
  ].join('\n'));
  const log4j = join(dir, 'log4j2.properties');
  writeKafkaLog4j(log4j, 'WARN');
  const scram = Object.entries({ admin: adminPassword, ...users }).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]);
  formatKafkaStorage(properties, log4j, 'eventline-secured-test', scram);

  const logFile = openSync(join(dir, 'kafka.log'), 'a');
  const broker: ChildProcess = spawn('java', ['-Xms128m', '-Xmx512m', '-XX:+UseG1GC', `-Dlog4j2.configurationFile=${log4j}`, '-cp', kafkaClasspath, 'kafka.Kafka', properties], {
    stdio: ['ignore', logFile, logFile],
  });
  const address = `127.0.0.1:${port}`;
  const client = (user: string, password: string, clientId = `test-${user}`) =>
    new Kafka({ brokers: [address], clientId, logLevel: logLevel.NOTHING, sasl: { mechanism: 'scram-sha-512', username: user, password }, retry: { retries: 3 } });

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (broker.exitCode !== null) throw new Error(`secured kafka exited (${broker.exitCode}): ${readFileSync(join(dir, 'kafka.log'), 'utf8').slice(-3000)}`);
    const admin = client('admin', adminPassword).admin();
    try {
      await admin.connect();
      await admin.describeGroups(['health']);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`secured kafka not healthy in 120 s: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  return {
    broker: address,
    adminPassword,
    client,
    async stop() {
      if (broker.exitCode !== null) return;
      const exited = new Promise((resolve) => broker.once('exit', resolve));
      broker.kill('SIGTERM');
      const timer = setTimeout(() => broker.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
