import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../shell';
import { network, nodeName, pkiDir } from './settings';

/**
 * The cluster's credentials, made once with openssl into /var/lib/eventline/cluster/pki: a CA, the
 * API server's serving certificate (for the node IP, the `kubernetes` Service IP and names), the
 * kubelet's serving certificate and the API server's client certificate towards the kubelet, the
 * aggregation layer's front-proxy CA and the API server's client certificate towards extension API
 * servers (metrics-server), the service-account signing key, and one static token per identity (the components authenticate with
 * tokens, each with the user and groups Kubernetes' default RBAC and Node authorizer expect).
 */
export interface Identity {
  user: string;
  groups: string[];
}

export const identities = {
  admin: { user: 'eventline-admin', groups: ['system:masters'] },
  controllerManager: { user: 'system:kube-controller-manager', groups: [] },
  scheduler: { user: 'system:kube-scheduler', groups: [] },
  kubelet: { user: `system:node:${nodeName}`, groups: ['system:nodes'] },
  kubeProxy: { user: 'system:kube-proxy', groups: [] },
} satisfies Record<string, Identity>;
export type IdentityName = keyof typeof identities;

export const pki = {
  caCert: join(pkiDir, 'ca.crt'),
  caKey: join(pkiDir, 'ca.key'),
  apiServerCert: join(pkiDir, 'apiserver.crt'),
  apiServerKey: join(pkiDir, 'apiserver.key'),
  kubeletCert: join(pkiDir, 'kubelet.crt'),
  kubeletKey: join(pkiDir, 'kubelet.key'),
  kubeletClientCert: join(pkiDir, 'apiserver-kubelet-client.crt'),
  kubeletClientKey: join(pkiDir, 'apiserver-kubelet-client.key'),
  /** Its own CA, as Kubernetes advises: an extension API server trusts request headers only from it. */
  frontProxyCaCert: join(pkiDir, 'front-proxy-ca.crt'),
  frontProxyCaKey: join(pkiDir, 'front-proxy-ca.key'),
  frontProxyClientCert: join(pkiDir, 'front-proxy-client.crt'),
  frontProxyClientKey: join(pkiDir, 'front-proxy-client.key'),
  serviceAccountKey: join(pkiDir, 'sa.key'),
  serviceAccountPub: join(pkiDir, 'sa.pub'),
  tokens: join(pkiDir, 'tokens.csv'),
  /** The node IP the certificates were made for: a new IP makes new serving certificates. */
  nodeIp: join(pkiDir, 'node-ip'),
};

const openssl = (args: string[]) => run('openssl', args);

/** The name the API server's front-proxy client certificate carries (`--requestheader-allowed-names`). */
export const frontProxyClientName = 'front-proxy-client';

function signed(name: string, subject: string, extensions: string[], ca = { cert: pki.caCert, key: pki.caKey }): void {
  const key = join(pkiDir, `${name}.key`);
  const csr = join(pkiDir, `${name}.csr`);
  const ext = join(pkiDir, `${name}.ext`);
  openssl(['genrsa', '-out', key, '2048']);
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  writeFileSync(ext, [...extensions, ''].join('\n'));
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '3650', '-sha256', '-extfile', ext, '-out', join(pkiDir, `${name}.crt`)]);
}

/** Makes what is missing; serving certificates again when the node IP changed. */
export function ensurePki(nodeIp: string): void {
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  if (!existsSync(pki.caCert)) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', pki.caKey, '-out', pki.caCert, '-days', '3650', '-subj', '/CN=eventline-cluster-ca']);
  }
  const sameIp = existsSync(pki.nodeIp) && readFileSync(pki.nodeIp, 'utf8').trim() === nodeIp;
  if (!sameIp || !existsSync(pki.apiServerCert)) {
    signed('apiserver', '/CN=kube-apiserver', [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=IP:${nodeIp},IP:127.0.0.1,IP:${network.apiServiceIp},DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.${network.clusterDomain},DNS:localhost`,
    ]);
  }
  if (!sameIp || !existsSync(pki.kubeletCert)) {
    signed('kubelet', `/CN=${nodeName}`, [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=IP:${nodeIp},DNS:${nodeName}`,
    ]);
  }
  if (!existsSync(pki.kubeletClientCert)) {
    // kubectl exec/logs/port-forward: the API server calls the kubelet with this certificate.
    signed('apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
    ]);
  }
  if (!existsSync(pki.frontProxyCaCert)) {
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      pki.frontProxyCaKey,
      '-out',
      pki.frontProxyCaCert,
      '-days',
      '3650',
      '-subj',
      '/CN=eventline-front-proxy-ca',
    ]);
  }
  if (!existsSync(pki.frontProxyClientCert)) {
    signed('front-proxy-client', `/CN=${frontProxyClientName}`, ['basicConstraints=CA:FALSE', 'keyUsage=digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth'], {
      cert: pki.frontProxyCaCert,
      key: pki.frontProxyCaKey,
    });
  }
  if (!existsSync(pki.serviceAccountKey)) {
    openssl(['genrsa', '-out', pki.serviceAccountKey, '2048']);
    openssl(['rsa', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPub]);
  }
  if (!existsSync(pki.tokens)) {
    const lines = Object.values(identities).map((id) => {
      const groups = id.groups.length > 0 ? `,"${id.groups.join(',')}"` : '';
      return `${randomBytes(24).toString('hex')},${id.user},${id.user}${groups}`;
    });
    writeFileSync(pki.tokens, `${lines.join('\n')}\n`, { mode: 0o600 });
  }
  writeFileSync(pki.nodeIp, `${nodeIp}\n`);
}

export function tokenOf(name: IdentityName): string {
  const user = identities[name].user;
  const line = readFileSync(pki.tokens, 'utf8')
    .split('\n')
    .find((l) => l.split(',')[1] === user);
  if (!line) throw new Error(`no token for ${user} in ${pki.tokens}`);
  return line.split(',')[0]!;
}

/** A kubeconfig for `name` at `path`, its CA embedded so that the file can be copied elsewhere. */
export function writeKubeconfig(path: string, name: IdentityName, server: string): void {
  const ca = readFileSync(pki.caCert).toString('base64');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: eventline-local',
      '  cluster:',
      `    server: ${server}`,
      `    certificate-authority-data: ${ca}`,
      'users:',
      `- name: ${identities[name].user}`,
      '  user:',
      `    token: ${tokenOf(name)}`,
      'contexts:',
      '- name: eventline-local',
      '  context:',
      '    cluster: eventline-local',
      `    user: ${identities[name].user}`,
      'current-context: eventline-local',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
}
