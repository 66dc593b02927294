import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@eventline/infra';
import { startPrivateKafka, type PrivateKafka } from '@eventline/testkit';

/**
 * A broker of the bench's own (the same jars as infra's) with two SCRAM-SHA-512 listeners: one in
 * plain text, one over TLS with a self-signed certificate for 127.0.0.1 made by keytool. Users are
 * created at format time. No authorizer: the bench checks authentication and encryption, not ACLs.
 */
export interface SecuredBroker {
  scram: string;
  scramTls: string;
  /** The broker's certificate, PEM, for the clients to trust. */
  caPem: string;
  users: Record<string, string>;
  stop(): Promise<void>;
}

function keytool(args: string[]): void {
  const result = spawnSync('keytool', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`keytool ${args[0]} failed: ${result.stderr || result.stdout}`);
}

export async function startSecuredBroker(dir: string, users: Record<string, string>): Promise<SecuredBroker> {
  const storePassword = 'bench-keystore';
  const keystore = join(dir, 'broker.p12');
  const certificate = join(dir, 'broker.pem');
  keytool([
    '-genkeypair',
    '-alias',
    'broker',
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-validity',
    '2',
    '-dname',
    'CN=127.0.0.1',
    '-ext',
    'SAN=ip:127.0.0.1,dns:localhost',
    '-keystore',
    keystore,
    '-storetype',
    'PKCS12',
    '-storepass',
    storePassword,
    '-keypass',
    storePassword,
  ]);
  keytool(['-exportcert', '-alias', 'broker', '-keystore', keystore, '-storepass', storePassword, '-rfc', '-file', certificate]);

  const adminPassword = 'admin-secret';
  const all = { admin: adminPassword, ...users };
  const tlsPort = await freePort();
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${adminPassword}";`;
  const kafka: PrivateKafka = await startPrivateKafka(dir, {
    clusterId: 'eventline-bench-secured',
    formatArgs: Object.entries(all).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]),
    sasl: { mechanism: 'scram-sha-512', username: 'admin', password: adminPassword },
    listenerProperties: (port, controllerPort, host) => [
      `listeners=SASL_PLAINTEXT://${host}:${port},SASL_SSL://${host}:${tlsPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=SASL_PLAINTEXT://${host}:${port},SASL_SSL://${host}:${tlsPort}`,
      'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=SASL_PLAINTEXT',
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${jaas}`,
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas}`,
      'ssl.keystore.type=PKCS12',
      `ssl.keystore.location=${keystore}`,
      `ssl.keystore.password=${storePassword}`,
      `ssl.key.password=${storePassword}`,
    ],
  });
  const [host] = kafka.broker.split(':');
  return {
    scram: kafka.broker,
    scramTls: `${host}:${tlsPort}`,
    caPem: readFileSync(certificate, 'utf8'),
    users: all,
    stop: () => kafka.stop(),
  };
}
