import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pki } from './pki';
import { clusterPorts, dataRoot, network, nodeName, registryHost, runRoot, sockets } from './settings';

/** The configuration files of containerd, the CNI bridge, the registry and the kubelet, rewritten on every `up`. */
export const configDir = join(dataRoot, 'config');
export const paths = {
  containerdConfig: join(configDir, 'containerd.toml'),
  containerdRoot: join(dataRoot, 'containerd'),
  containerdState: join(runRoot, 'containerd'),
  certsD: join(configDir, 'certs.d'),
  cniConfDir: join(configDir, 'cni'),
  cniIpamDir: join(dataRoot, 'cni-ipam'),
  registryConfig: join(configDir, 'registry.yml'),
  registryData: join(dataRoot, 'registry'),
  dockerData: join(dataRoot, 'docker'),
  dockerExec: join(runRoot, 'docker'),
  etcdData: join(dataRoot, 'etcd'),
  kubeletRoot: join(dataRoot, 'kubelet'),
  kubeletConfig: join(configDir, 'kubelet.yaml'),
  kubeletKubeconfig: join(configDir, 'kubelet.kubeconfig'),
  controllerManagerKubeconfig: join(configDir, 'controller-manager.kubeconfig'),
  schedulerKubeconfig: join(configDir, 'scheduler.kubeconfig'),
  kubeProxyKubeconfig: join(configDir, 'kube-proxy.kubeconfig'),
  localPathDir: join(dataRoot, 'local-path'),
};

/** The pause image, containerd's sandbox image: built here and pushed to the local registry. */
export const sandboxImage = `${registryHost}/eventline-local/pause:3.10`;

export function writeNodeConfig(): void {
  for (const dir of [configDir, paths.cniConfDir, paths.registryData, paths.localPathDir, join(paths.certsD, registryHost)]) {
    mkdirSync(dir, { recursive: true });
  }
  writeFileSync(
    paths.containerdConfig,
    [
      'version = 2',
      `root = "${paths.containerdRoot}"`,
      `state = "${paths.containerdState}"`,
      // What the CRI plugin does not need; their probes only fill the log with errors.
      'disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]',
      '[grpc]',
      `  address = "${sockets.containerd}"`,
      '[plugins."io.containerd.grpc.v1.cri"]',
      `  sandbox_image = "${sandboxImage}"`,
      // This VM lacks CAP_SYS_RESOURCE: runc cannot lower a process's oom_score_adj below its
      // parent's, and every sandbox died with "can't get final child's PID from pipe: EOF".
      '  restrict_oom_score_adj = true',
      '  [plugins."io.containerd.grpc.v1.cri".containerd]',
      '    snapshotter = "overlayfs"',
      '    default_runtime_name = "runc"',
      '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
      '      runtime_type = "io.containerd.runc.v2"',
      '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
      // No systemd here: the kubelet's cgroupDriver is cgroupfs too.
      '        SystemdCgroup = false',
      '  [plugins."io.containerd.grpc.v1.cri".cni]',
      '    bin_dir = "/usr/lib/cni"',
      `    conf_dir = "${paths.cniConfDir}"`,
      '  [plugins."io.containerd.grpc.v1.cri".registry]',
      `    config_path = "${paths.certsD}"`,
      '',
    ].join('\n'),
  );
  // The local registry speaks plain HTTP on loopback.
  writeFileSync(
    join(paths.certsD, registryHost, 'hosts.toml'),
    [`server = "http://${registryHost}"`, `[host."http://${registryHost}"]`, '  capabilities = ["pull", "resolve"]', ''].join('\n'),
  );
  writeFileSync(
    join(paths.cniConfDir, '10-eventline.conflist'),
    `${JSON.stringify(
      {
        cniVersion: '0.4.0',
        name: 'eventline',
        plugins: [
          {
            type: 'bridge',
            bridge: network.bridge,
            isGateway: true,
            ipMasq: true,
            hairpinMode: true,
            ipam: { type: 'host-local', ranges: [[{ subnet: network.nodePodCidr }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: paths.cniIpamDir },
          },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      },
      null,
      2,
    )}\n`,
  );
  // Debian's /etc/docker/registry/config.yml without its htpasswd block, on loopback only.
  writeFileSync(
    paths.registryConfig,
    [
      'version: 0.1',
      'log: { level: warn, fields: { service: registry } }',
      'storage:',
      '  cache: { blobdescriptor: inmemory }',
      `  filesystem: { rootdirectory: ${paths.registryData} }`,
      '  delete: { enabled: true }',
      'http:',
      `  addr: ${registryHost}`,
      '  headers: { X-Content-Type-Options: [nosniff] }',
      '',
    ].join('\n'),
  );
}

export function writeKubeletConfig(nodeIp: string): void {
  writeFileSync(
    paths.kubeletConfig,
    [
      'apiVersion: kubelet.config.k8s.io/v1beta1',
      'kind: KubeletConfiguration',
      `address: ${nodeIp}`,
      `port: ${clusterPorts.kubelet}`,
      'readOnlyPort: 0',
      'healthzBindAddress: 127.0.0.1',
      `healthzPort: ${clusterPorts.kubeletHealthz}`,
      `tlsCertFile: ${pki.kubeletCert}`,
      `tlsPrivateKeyFile: ${pki.kubeletKey}`,
      'authentication:',
      '  anonymous: { enabled: false }',
      '  webhook: { enabled: true }',
      `  x509: { clientCAFile: ${pki.caCert} }`,
      'authorization: { mode: Webhook }',
      'cgroupDriver: cgroupfs',
      // cgroup v1 here: 1.34 runs on it with a warning (maintenance mode); 1.35 refuses it by default.
      'failCgroupV1: false',
      `containerRuntimeEndpoint: unix://${sockets.containerd}`,
      `clusterDNS: [${network.dnsServiceIp}]`,
      `clusterDomain: ${network.clusterDomain}`,
      'resolvConf: /etc/resolv.conf',
      'failSwapOn: false',
      'serializeImagePulls: false',
      // A shared development machine: evict only when truly short, never for image-disk percentages.
      'evictionHard: { memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2% }',
      'imageGCHighThresholdPercent: 95',
      'imageGCLowThresholdPercent: 90',
      'maxPods: 60',
      '',
    ].join('\n'),
  );
}

export { nodeName };
