import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubeToolPaths } from '../../../infra/src/kube-tools';
import { repoRoot } from '../../../infra/src/settings';
import { kubectl } from './kube';
import type { IssuedCertificate } from './test-pki';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [key: string]: unknown };
  [key: string]: any;
}

export interface ExternalServers {
  /** PostgreSQL's host name, as the certificate names it. */
  postgresHost: string;
  postgresPassword: string;
  /** A MongoDB URL (FerretDB) reachable from any namespace. */
  mongoUrl: string;
  /** The registry's Confluent-compatible API. */
  registryUrl: string;
}

const serviceHost = (name: string, namespace: string) => `${name}.${namespace}.svc.cluster.local`;

/**
 * The servers a staging release uses but does not run: PostgreSQL, FerretDB on DocumentDB and Apicurio,
 * in a namespace of their own, from the chart's own templates for them (values-local.yaml, no name
 * prefix) — the same images a kind release runs. PostgreSQL serves TLS with `certificate` and refuses
 * any connection without it (`hostnossl … reject`), as a managed server would; its password is
 * values-local's. The staging release reaches them only through its Secrets and URLs.
 */
export function deployExternalServers(namespace: string, certificate: (dnsNames: string[]) => IssuedCertificate): ExternalServers {
  const render = spawnSync(
    kubeToolPaths().helm,
    [
      'template',
      'external',
      join(repoRoot, 'charts/eventline'),
      '-n',
      namespace,
      '-f',
      join(repoRoot, 'charts/eventline/values-local.yaml'),
      '--set',
      'namePrefix=',
      // Apicurio's JDBC connection encrypts too: the server refuses any other.
      '--set',
      'postgres.sslMode=require',
      '--show-only',
      'templates/postgres.yaml',
      '--show-only',
      'templates/mongo.yaml',
      '--show-only',
      'templates/schema-registry.yaml',
    ],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  if (render.status !== 0) throw new Error(`helm template of the external servers failed: ${render.stderr}`);
  const objects = parseAllDocuments(render.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  const postgresHost = serviceHost('postgres', namespace);
  const tls = certificate([postgresHost, `postgres.${namespace}.svc`, 'postgres']);
  const items: K8sObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'postgres-tls' },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': tls.cert, 'tls.key': tls.key },
    },
    ...objects.map((object) => (object.kind === 'StatefulSet' && object.metadata.name === 'postgres' ? withTls(object) : object)).map(requireTlsInInit),
  ];
  kubectl(['-n', namespace, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  return {
    postgresHost,
    postgresPassword: 'eventline',
    mongoUrl: `mongodb://${serviceHost('mongo', namespace)}:27017`,
    registryUrl: `http://${serviceHost('schema-registry', namespace)}:8080/apis/ccompat/v7`,
  };
}

/** PostgreSQL with ssl=on on the certificate Secret (owned by root, group-readable: what PostgreSQL accepts for its key). */
function withTls(statefulSet: K8sObject): K8sObject {
  const pod = statefulSet.spec.template.spec;
  const container = pod.containers[0];
  container.args = ['postgres', '-c', 'ssl=on', '-c', 'ssl_cert_file=/etc/postgres-tls/tls.crt', '-c', 'ssl_key_file=/etc/postgres-tls/tls.key'];
  container.volumeMounts.push({ name: 'tls', mountPath: '/etc/postgres-tls', readOnly: true });
  pod.volumes.push({ name: 'tls', secret: { secretName: 'postgres-tls', defaultMode: 0o640 } });
  return statefulSet;
}

/** The init ConfigMap also refuses every TCP connection without TLS (read once, at initdb). */
function requireTlsInInit(object: K8sObject): K8sObject {
  if (object.kind === 'ConfigMap' && object.metadata.name === 'postgres-init') object.data['tls-only.hba'] = 'hostnossl all all all reject\n';
  return object;
}
