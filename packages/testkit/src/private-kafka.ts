import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { formatKafkaStorage, freePort, kafkaClasspath, singleNodeProperties, writeKafkaLog4j } from '@eventline/infra';

/**
 * A Kafka broker of a test's own (the same 4.3.1 jars as infra's), on free ports with its data in
 * `dir`: for what a test may not do to the shared broker, such as restarting it.
 */
export interface PrivateKafka {
  broker: string;
  /** SIGTERM, then the same broker again on the same ports and data; resolves once the process is spawned, not healthy. */
  restart(): Promise<void>;
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PrivateKafkaOptions {
  /** The address clients reach it on (listener and advertised): default 127.0.0.1. */
  host?: string;
  /** Listener and authorizer lines beside the single-node ones (a SCRAM listener); default: one PLAINTEXT listener. */
  listenerProperties?: (port: number, controllerPort: number, host: string) => string[];
  /** Extra arguments of `kafka-storage format` (SCRAM users). */
  formatArgs?: string[];
  /** How the health check authenticates. */
  sasl?: SASLOptions;
  clusterId?: string;
}

export async function startPrivateKafka(dir: string, options: PrivateKafkaOptions = {}): Promise<PrivateKafka> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const [port, controllerPort] = [await freePort(), await freePort()];
  const host = options.host ?? '127.0.0.1';
  const listeners = options.listenerProperties?.(port, controllerPort, host) ?? [
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
  ];
  const properties = join(dir, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
      'controller.listener.names=CONTROLLER',
      ...listeners,
      ...singleNodeProperties(join(dir, 'data')),
      '',
    ].join('\n'),
  );
  const log4j = join(dir, 'log4j2.properties');
  writeKafkaLog4j(log4j, 'WARN');
  formatKafkaStorage(properties, log4j, options.clusterId ?? 'eventline-private-test', options.formatArgs ?? []);

  const logPath = join(dir, 'kafka.log');
  const address = `${host}:${port}`;
  let broker: ChildProcess = launch();

  function launch(): ChildProcess {
    const logFile = openSync(logPath, 'a');
    return spawn('java', ['-Xms128m', '-Xmx512m', '-XX:+UseG1GC', `-Dlog4j2.configurationFile=${log4j}`, '-cp', kafkaClasspath, 'kafka.Kafka', properties], {
      stdio: ['ignore', logFile, logFile],
    });
  }

  async function stop(): Promise<void> {
    if (broker.exitCode !== null || broker.signalCode !== null) return;
    const exited = new Promise((resolve) => broker.once('exit', resolve));
    broker.kill('SIGTERM');
    const timer = setTimeout(() => broker.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  async function waitHealthy(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (broker.exitCode !== null) throw new Error(`private kafka exited (${broker.exitCode}): ${readFileSync(logPath, 'utf8').slice(-3000)}`);
      // A new client each time: one whose first connection was refused keeps failing with "No brokers in the broker pool".
      const admin = new Kafka({ brokers: [address], clientId: 'private-kafka-health', logLevel: logLevel.NOTHING, sasl: options.sasl, retry: { retries: 3 } }).admin();
      try {
        await admin.connect();
        // The group coordinator answering is what services need first (infra's health check too).
        await admin.describeGroups(['health']);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`private kafka not healthy in ${timeoutMs} ms: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }

  await waitHealthy();
  return {
    broker: address,
    waitHealthy,
    stop,
    async restart() {
      await stop();
      broker = launch();
    },
  };
}
