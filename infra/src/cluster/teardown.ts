import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { log } from '../shell';
import { clusterBinaryPaths } from './binaries';
import { paths } from './node-config';
import { dataRoot, network, runRoot, sockets } from './settings';

/**
 * What `down` removes after the processes are stopped, so that nothing of the cluster is left on the
 * machine: its containers' shims, mounts, network namespaces, the bridge, iptables rules and chains,
 * cgroups. Each sweep only touches what carries our names (KUBE- and CNI- chains, our bridge, paths
 * under our folders, shims of our containerd socket).
 */
const quiet = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8' });

/** Kills every task of our containerd (all namespaces), so that no shim outlives it. */
export function killContainers(): void {
  if (!existsSync(sockets.containerd)) return;
  const ctr = (args: string[]) => quiet('ctr', ['--address', sockets.containerd, ...args]);
  for (const ns of ctr(['namespaces', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
    for (const task of ctr(['-n', ns, 'tasks', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
      ctr(['-n', ns, 'tasks', 'kill', '-s', 'SIGKILL', task]);
    }
  }
}

function commandLine(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** containerd-shim processes started by our containerd (their command line names its socket). */
export function ourShims(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      const cmd = commandLine(pid);
      return cmd.includes('containerd-shim') && cmd.includes(sockets.containerd.replace(/containerd\.sock$/, ''));
    })
    .map(Number);
}

export function killShims(): void {
  for (const pid of ourShims()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
}

/** Mount points under our folders and the network namespaces of our pods, deepest first. */
export function ourMounts(): string[] {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter(Boolean)
    .map((m) => m.replace(/\\040/g, ' '));
  return [...new Set(mounts.filter((m) => m.startsWith(`${dataRoot}/`) || m.startsWith(`${runRoot}/`) || m === runRoot))].sort((a, b) => b.length - a.length);
}

export function unmountAll(): void {
  for (let pass = 0; pass < 3; pass += 1) {
    const mounts = ourMounts();
    if (mounts.length === 0) return;
    for (const m of mounts) quiet('umount', ['-l', m]);
  }
}

const podPrefix = `${network.nodePodCidr.split('.').slice(0, 3).join('.')}.`;

/** Network namespaces of our pods that a killed sandbox left: `cni-*` under /run/netns holding an address of our pod range. */
export function ourNetns(): string[] {
  if (!existsSync('/run/netns')) return [];
  return readdirSync('/run/netns')
    .filter((n) => n.startsWith('cni-'))
    .filter((n) => quiet('ip', ['netns', 'exec', n, 'ip', '-4', '-o', 'addr']).stdout.includes(` ${podPrefix}`));
}

export function removeNetns(): void {
  for (const n of ourNetns()) {
    quiet('umount', ['-l', `/run/netns/${n}`]);
    rmSync(`/run/netns/${n}`, { force: true });
  }
}

export function removeBridge(): void {
  if (existsSync(`/sys/class/net/${network.bridge}`)) quiet('ip', ['link', 'delete', network.bridge]);
  rmSync(paths.cniIpamDir, { recursive: true, force: true });
}

const ourChain = (name: string) => /^(KUBE|CNI)-/.test(name);
const podRangePrefix = `${network.podCidr.split('.').slice(0, 2).join('.')}.`;
/** A rule jumping into one of our chains or naming our pod range (the CNI bridge's masquerade). */
export const ruleIsOurs = (line: string) => / -j (KUBE|CNI)-/.test(line) || line.includes(podRangePrefix) || line.includes(` ${network.bridge} `);

/** iptables rules and chains of kube-proxy, the kubelet and the CNI plugins, in every table, IPv4 and IPv6. */
export function ourIptablesRules(): string[] {
  const found: string[] = [];
  for (const binary of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const rules = quiet(`${binary}-save`, ['-t', table]).stdout.split('\n');
      for (const line of rules) {
        const chain = /^:(\S+)/.exec(line)?.[1];
        if (chain && ourChain(chain)) found.push(`${binary} -t ${table} chain ${chain}`);
        if (line.startsWith('-A ') && ruleIsOurs(line)) {
          found.push(`${binary} -t ${table} ${line}`);
        }
      }
    }
  }
  return found;
}

export function removeIptables(): void {
  // kube-proxy knows its own rules best.
  const proxy = clusterBinaryPaths().kubeProxy;
  if (existsSync(proxy)) quiet(proxy, ['--cleanup', '--proxy-mode=iptables']);
  for (const binary of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const lines = quiet(`${binary}-save`, ['-t', table]).stdout.split('\n');
      // Rules in chains that are not ours but jump into ours (or name our pod range) first.
      for (const line of lines) {
        if (!line.startsWith('-A ')) continue;
        const chain = line.split(' ')[1]!;
        if (ourChain(chain)) continue;
        if (ruleIsOurs(line)) {
          quiet(binary, ['-t', table, '-D', ...splitRule(line.slice(3))]);
        }
      }
      const chains = lines.map((l) => /^:(\S+)/.exec(l)?.[1]).filter((c): c is string => c !== undefined && ourChain(c));
      for (const chain of chains) quiet(binary, ['-t', table, '-F', chain]);
      for (const chain of chains) quiet(binary, ['-t', table, '-X', chain]);
    }
  }
}

/** iptables-save quotes comments; split a rule into arguments as a shell would. */
export function splitRule(rule: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(rule); m; m = re.exec(rule)) args.push(m[1] !== undefined ? m[1].replace(/\\"/g, '"') : m[2]!);
  return args;
}

/** cgroups the kubelet (kubepods) and containerd/dockerd (their default parents) made, in every hierarchy. */
export function ourCgroups(): string[] {
  const found: string[] = [];
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return found;
  for (const hierarchy of readdirSync(root)) {
    for (const name of ['kubepods', 'kubepods.slice', 'docker', 'moby', 'k8s.io']) {
      const dir = join(root, hierarchy, name);
      if (existsSync(dir)) found.push(dir);
    }
  }
  return found;
}

function removeTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeTree(join(dir, entry.name));
  try {
    rmdirSync(dir);
  } catch {
    /* still in use: reported by status */
  }
}

export function removeCgroups(): void {
  for (const dir of ourCgroups()) removeTree(dir);
}

/** Everything above, in order; returns what could not be removed. */
export function sweep(): string[] {
  killShims();
  removeNetns();
  unmountAll();
  removeBridge();
  removeIptables();
  removeCgroups();
  const left = [
    ...ourShims().map((pid) => `process ${pid} (containerd shim)`),
    ...ourMounts().map((m) => `mount ${m}`),
    ...ourNetns().map((n) => `network namespace ${n}`),
    ...(existsSync(`/sys/class/net/${network.bridge}`) ? [`bridge ${network.bridge}`] : []),
    ...ourIptablesRules(),
    ...ourCgroups().map((c) => `cgroup ${c}`),
  ];
  if (left.length > 0) log(`down left behind:\n  ${left.join('\n  ')}`);
  return left;
}
