import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureKubeTools } from './kube-tools';

/**
 * A real Kubernetes API server backed by a real etcd, nothing else (the envtest approach): objects
 * are validated, defaulted, admitted (RBAC, Pod Security, CRD schemas) and stored; no pod ever runs.
 * For tests: each instance has its own folder and free ports, and can be restarted on the same ports.
 */
export interface KubeApiServer {
  url: string;
  /** The CA bundle that verifies the server's certificate. */
  caFile: string;
  /** A kubeconfig whose user is in system:masters. */
  kubeconfig: string;
  adminToken: string;
  /**
   * A kubeconfig authenticating as the existing ServiceAccount `namespace/name`, with a token from the
   * TokenRequest API (as a pod's projected token): RBAC applies to it in full.
   */
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>;
  /** Stops the API server (etcd keeps the data) and starts it again on the same port. */
  restart(): Promise<void>;
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function kubeconfigYaml(server: string, caFile: string, user: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: test`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    `- name: test`,
    '  context:',
    '    cluster: test',
    `    user: ${user}`,
    'current-context: test',
    '',
  ].join('\n');
}

function spawnLogged(binary: string, args: string[], logPath: string): ChildProcess {
  const log = openSync(logPath, 'a');
  return spawn(binary, args, { stdio: ['ignore', log, log] });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export interface KubeApiServerOptions {
  /**
   * Watches end after this many seconds (up to twice as long; the server's default is 30 minutes)
   * and etcd history is compacted as often, so that clients meet watch expiry and 410 Gone in a test.
   */
  watchExpirySeconds?: number;
}

export async function startKubeApiServer(dir: string, options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const tools = ensureKubeTools();
  mkdirSync(dir, { recursive: true });
  const [etcdClientPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];

  const etcd = spawnLogged(
    tools.etcd,
    [
      '--name',
      'test',
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      `http://127.0.0.1:${etcdClientPort}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${etcdClientPort}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${etcdPeerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${etcdPeerPort}`,
      '--initial-cluster',
      `test=http://127.0.0.1:${etcdPeerPort}`,
      // Test data: losing it in a power cut is fine, and fsync dominates the API server's write latency.
      '--unsafe-no-fsync',
    ],
    join(dir, 'etcd.log'),
  );

  // Service-account tokens are signed with this key; static tokens give the test its identities.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  const adminToken = randomBytes(24).toString('hex');
  const tokensFile = join(dir, 'tokens.csv');
  writeFileSync(tokensFile, `${adminToken},admin,admin,"system:masters"\n`);

  const certDir = join(dir, 'certs');
  const url = `https://127.0.0.1:${apiPort}`;
  const caFile = join(certDir, 'apiserver.crt');
  let apiServer: ChildProcess | undefined;

  const startApiServer = async () => {
    apiServer = spawnLogged(
      tools.kubeApiserver,
      [
        `--etcd-servers=http://127.0.0.1:${etcdClientPort}`,
        `--cert-dir=${certDir}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        `--token-auth-file=${tokensFile}`,
        '--authorization-mode=RBAC',
        '--allow-privileged=true',
        // No controllers run: nothing would answer the flow-control objects it keeps asking about.
        '--enable-priority-and-fairness=false',
        ...(options.watchExpirySeconds ? [`--min-request-timeout=${options.watchExpirySeconds}`, `--etcd-compaction-interval=${options.watchExpirySeconds}s`] : []),
      ],
      join(dir, 'kube-apiserver.log'),
    );
    const deadline = Date.now() + 90_000;
    const child = apiServer;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(`kube-apiserver exited (${child.exitCode}); ${readFileSync(join(dir, 'kube-apiserver.log'), 'utf8').slice(-3000)}`);
      }
      if (await isReady()) return;
      await sleep(250);
    }
    throw new Error(`kube-apiserver not ready within 90 s; see ${join(dir, 'kube-apiserver.log')}`);
  };

  const apiRequest = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
      if (payload) headers['content-type'] = 'application/json';
      // The serving certificate is the one the server generated into certDir on its first start.
      const req = httpsRequest(`${url}${path}`, { method, headers, ca: readFileSync(caFile), timeout: 5000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.end(payload);
    });

  const isReady = async (): Promise<boolean> => {
    if (!existsSync(caFile)) return false;
    try {
      return (await apiRequest('GET', '/readyz')).status === 200;
    } catch {
      return false;
    }
  };

  try {
    await startApiServer();
  } catch (error) {
    await stopChild(apiServer);
    await stopChild(etcd);
    throw error;
  }

  const kubeconfig = join(dir, 'admin.kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(url, caFile, 'admin', adminToken));

  return {
    url,
    caFile,
    kubeconfig,
    adminToken,
    async serviceAccountKubeconfig(namespace, name) {
      const response = await apiRequest('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      });
      if (response.status !== 201) throw new Error(`TokenRequest for ${namespace}/${name}: ${response.status} ${response.body}`);
      const token = (JSON.parse(response.body) as { status: { token: string } }).status.token;
      const path = join(dir, `${namespace}.${name}.kubeconfig`);
      writeFileSync(path, kubeconfigYaml(url, caFile, name, token));
      return path;
    },
    stopApiServer: () => stopChild(apiServer),
    startApiServer,
    async restart() {
      await stopChild(apiServer);
      await startApiServer();
    },
    async stop() {
      await stopChild(apiServer);
      await stopChild(etcd);
    },
  };
}
