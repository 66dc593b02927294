import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runningPid, start, waitFor } from './processes';
import { log, mvn, run } from './shell';
import { cacheDir, host, ports, repoRoot, stateDir, urls, versions } from './settings';
import type { Component } from './component';

/** Apache Kafka in KRaft mode: one process that is both broker and controller. */
const libDir = join(cacheDir, `kafka-${versions.kafka}`, 'libs');
const configDir = join(stateDir, 'kafka');
const dataDir = join(stateDir, 'kafka', 'data');
const propertiesFile = join(configDir, 'server.properties');
const log4jFile = join(configDir, 'log4j2.properties');

export const kafkaClasspath = `${libDir}/*`;

function install(): void {
  ensureKafkaJars();
}

/** Kafka `versions.kafka`'s jars (broker, tools, Streams) from Maven Central, resolved once into the cache; returns their folder. */
export function ensureKafkaJars(): string {
  if (existsSync(libDir) && readdirSync(libDir).some((f) => f.startsWith('kafka_2.13-'))) return libDir;
  log(`resolving Apache Kafka ${versions.kafka} from Maven Central into ${libDir}`);
  mvn([
    '-f',
    join(repoRoot, 'infra', 'kafka', 'pom.xml'),
    `-Dkafka.version=${versions.kafka}`,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${libDir}`,
  ]);
  return libDir;
}

/**
 * What every single-node broker run here shares (infra's, and the tests' SCRAM broker): explicit
 * topic creation as Strimzi's KafkaTopics do, replication 1 for the internal topics, no join delay.
 */
export function singleNodeProperties(dataDir: string): string[] {
  return [
    `log.dirs=${dataDir}`,
    // Topics are created explicitly, as Strimzi KafkaTopic resources create them in the cluster.
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'group.initial.rebalance.delay.ms=0',
  ];
}

/** log4j2 configuration for a broker: console output at `rootLevel`, state changes at WARN. */
export function writeKafkaLog4j(file: string, rootLevel: 'INFO' | 'WARN'): void {
  writeFileSync(
    file,
    [
      'status = warn',
      'appender.out.type = Console',
      'appender.out.name = OUT',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d] %p %m (%c)%n',
      `rootLogger.level = ${rootLevel}`,
      'rootLogger.appenderRef.out.ref = OUT',
      'logger.statechange.name = state.change.logger',
      'logger.statechange.level = WARN',
      '',
    ].join('\n'),
  );
}

/** Formats KRaft storage for a single node (`extraArgs`: e.g. `--add-scram` users). */
export function formatKafkaStorage(propertiesPath: string, log4jPath: string, clusterId: string, extraArgs: string[] = []): void {
  run('java', [
    '-cp',
    kafkaClasspath,
    `-Dlog4j2.configurationFile=${log4jPath}`,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    propertiesPath,
    '--standalone',
    ...extraArgs,
  ]);
}

function writeConfig(): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    propertiesFile,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=${host}:${ports.kafkaController}`,
      `listeners=PLAINTEXT://${host}:${ports.kafka},CONTROLLER://${host}:${ports.kafkaController}`,
      `advertised.listeners=PLAINTEXT://${host}:${ports.kafka}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      ...singleNodeProperties(dataDir),
      'num.partitions=3',
      'log.retention.hours=168',
      'log.cleaner.min.compaction.lag.ms=0',
      '',
    ].join('\n'),
  );
  writeKafkaLog4j(log4jFile, 'INFO');
}

function java(args: string[]): string {
  return run('java', ['-cp', kafkaClasspath, `-Dlog4j2.configurationFile=${log4jFile}`, ...args]);
}

function formatStorageOnce(): void {
  if (existsSync(join(dataDir, 'meta.properties'))) return;
  const clusterId = java(['kafka.tools.StorageTool', 'random-uuid']).trim().split('\n').pop() ?? '';
  log(`formatting KRaft storage (cluster ${clusterId})`);
  formatKafkaStorage(propertiesFile, log4jFile, clusterId);
}

async function healthy(): Promise<boolean> {
  const kafka = new Kafka({ brokers: [urls.kafka], clientId: 'eventline-infra', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    // Asking for a group needs the group coordinator, which is the last part of the broker to load.
    const groups = await admin.describeGroups(['eventline-infra-health']);
    return cluster.brokers.length > 0 && groups.groups.length === 1;
  } finally {
    await admin.disconnect();
  }
}

export const kafkaComponent: Component = {
  name: 'kafka',
  version: `Apache Kafka ${versions.kafka} (KRaft)`,
  address: urls.kafka,
  ports: [ports.kafka, ports.kafkaController],
  install,
  async start() {
    writeConfig();
    formatStorageOnce();
    start({
      name: 'kafka',
      command: 'java',
      args: ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${log4jFile}`, '-cp', kafkaClasspath, 'kafka.Kafka', propertiesFile],
    });
  },
  isRunning: () => runningPid('kafka') !== undefined,
  healthy,
  waitHealthy: () => waitFor('Kafka', healthy, 120_000, 'kafka'),
};
