import { kubeconfigPath } from './settings';
import { clusterDown, clusterStatus, clusterUp, formatTable } from './cluster';
import { buildServiceImages } from './service-images';
import { installGateway } from './gateway';
import { ensureStrimziBuild } from './strimzi-build';
import { ensureStrimziImages } from './strimzi-images';
import { installStrimziOperator, uninstallStrimziOperator } from './strimzi-install';
import { kubectl } from './addons';
import { clusterShellEnv, formatExports } from './shell-env';

const usage =
  'usage: npm run cluster -- up|down|status|env|images|gateway|strimzi-build|strimzi-images|strimzi-install NAMESPACE [WATCHED_NAMESPACE…|*]|strimzi-uninstall NAMESPACE';

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'up': {
      const times = await clusterUp();
      for (const t of times) console.log(`${String(t.seconds).padStart(7)} s  ${t.step}`);
      const { rows, node } = await clusterStatus();
      console.log(formatTable(rows));
      console.log(`node: ${node}`);
      console.log(`export KUBECONFIG=${kubeconfigPath}`);
      console.log('for kubectl, helm, skaffold and docker in this shell: eval "$(npm run -s cluster -- env)"');
      return 0;
    }
    case 'env': {
      // Exports for a shell: eval "$(npm run -s cluster -- env)" (see shell-env.ts).
      console.log(formatExports(clusterShellEnv()));
      return 0;
    }
    case 'down': {
      const { stopped, left } = await clusterDown();
      console.log(stopped.length > 0 ? `stopped: ${stopped.join(', ')}` : 'nothing of the cluster was running');
      if (left.length > 0) {
        console.log(`left behind:\n  ${left.join('\n  ')}`);
        return 1;
      }
      console.log('no process, mount, network namespace, bridge, iptables rule or cgroup of the cluster is left');
      return 0;
    }
    case 'status': {
      const { rows, node } = await clusterStatus();
      console.log(formatTable(rows));
      console.log(`node: ${node}`);
      return rows.every((r) => r.health === 'healthy') ? 0 : 3;
    }
    case 'images': {
      // The Node base and the nine service images, pushed to the cluster's registry (needs `up`).
      for (const t of await buildServiceImages()) console.log(`${String(t.seconds).padStart(5)} s  ${t.image}`);
      return 0;
    }
    case 'gateway': {
      // The Gateway API CRDs and Traefik on a running cluster, without the rest of `up`.
      const times = await installGateway();
      console.log(`traefik image ${times.image} s, apply ${times.apply} s, pod Ready ${times.ready} s`);
      return 0;
    }
    case 'strimzi-build': {
      // Strimzi's operators and Kafka agents from the vendored source (cached; see strimzi-build.ts).
      const build = await ensureStrimziBuild();
      console.log(build.dir);
      return 0;
    }
    case 'strimzi-images': {
      // strimzi-base, strimzi-operator and strimzi-kafka, pushed to the cluster's registry (needs `up`).
      for (const t of await ensureStrimziImages()) console.log(`${String(t.seconds).padStart(5)} s  ${t.image}`);
      return 0;
    }
    case 'strimzi-install': {
      // Strimzi's Helm chart into NAMESPACE (created if missing), watching it and the others named (`*`: every namespace).
      const [namespace, ...watched] = rest;
      if (!namespace) break;
      console.log(`installed in ${await installStrimziOperator(namespace, watched)} s`);
      return 0;
    }
    case 'strimzi-uninstall': {
      // The release strimzi-install made in NAMESPACE, then the namespace.
      const [namespace] = rest;
      if (!namespace) break;
      uninstallStrimziOperator(namespace);
      kubectl(['delete', 'namespace', namespace, '--wait=true', '--timeout=180s', '--ignore-not-found']);
      return 0;
    }
    default:
      break;
  }
  console.error(usage);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`cluster: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
