import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { ensureDebianPackages } from '../debian';
import { run } from '../shell';
import { clusterStateDir } from './settings';

/** What the node runs from Debian's packages (and docker.io for image builds only). */
export const debianPackages = [
  'containerd',
  'runc',
  'containernetworking-plugins',
  'iptables',
  'conntrack',
  'docker.io',
  'docker-registry',
  'mmdebstrap',
  'openssl',
  'gcc',
  'libc6-dev',
];

export function requireRoot(): void {
  if (userInfo().uid !== 0) throw new Error('the local cluster needs root (containers, mounts, iptables)');
}

export const installDebianPackages = (): void => ensureDebianPackages(debianPackages, 'the local cluster');

/** The address of the interface holding the default route: the kubelet and API server listen there. */
export function nodeIp(): string {
  const route = run('ip', ['-4', 'route', 'get', '1.1.1.1']);
  const ip = /\bsrc (\d+\.\d+\.\d+\.\d+)/.exec(route)?.[1];
  if (!ip) throw new Error(`no IPv4 source address in "ip route get": ${route}`);
  return ip;
}

/**
 * Kernel settings pods need: forwarding between the bridge and the rest, and bridged traffic through
 * iptables (kube-proxy's Service rules). The values found are saved and put back by `down`.
 */
const sysctls = ['net/ipv4/ip_forward', 'net/bridge/bridge-nf-call-iptables'];
const savedFile = join(clusterStateDir, 'sysctl-before.json');

export function applySysctls(): void {
  const before: Record<string, string> = existsSync(savedFile) ? (JSON.parse(readFileSync(savedFile, 'utf8')) as Record<string, string>) : {};
  for (const key of sysctls) {
    const path = `/proc/sys/${key}`;
    if (!existsSync(path)) throw new Error(`${path} is missing: the kernel needs br_netfilter and IP forwarding for pods`);
    before[key] ??= readFileSync(path, 'utf8').trim();
    writeFileSync(path, '1');
  }
  writeFileSync(savedFile, JSON.stringify(before));
}

export function restoreSysctls(): void {
  if (!existsSync(savedFile)) return;
  const before = JSON.parse(readFileSync(savedFile, 'utf8')) as Record<string, string>;
  for (const [key, value] of Object.entries(before)) writeFileSync(`/proc/sys/${key}`, value);
  run('rm', ['-f', savedFile]);
}
