import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeToolPaths } from '../kube-tools';
import { log } from '../shell';
import { kubectl } from './addons';
import { kubeconfigPath, registryHost } from './settings';
import { ensureStrimziBuild, strimziVersion } from './strimzi-build';
import { ensureStrimziImages } from './strimzi-images';

/**
 * The Strimzi cluster operator installed with Strimzi's own Helm chart from the vendored source (its
 * CRDs come with it, in the chart's crds/), every image it names pointing at the cluster's registry:
 * the operator, topic/user operator and kafka-init at `eventline-local/strimzi-operator:<strimzi>`,
 * every Kafka-based one at `eventline-local/strimzi-kafka:<strimzi>-kafka-<kafka>` (the chart appends
 * `-kafka-<version>`). The bridge, Kaniko, Buildah and Maven builder images are not built here: they
 * point at `eventline-local/strimzi-*` names that stay missing, so nothing is ever pulled from outside.
 */
export const strimziReleaseName = 'strimzi';
/** A ClusterRole of the chart's global resources: whose release it belongs to says who owns them all. */
const globalRoleProbe = 'strimzi-cluster-operator-namespaced';
/** Marks the ClusterRoleBindings a release made for itself beside the owner's, to remove them with it. */
const ownBindingLabel = 'eventline.dev/strimzi-operator-namespace';

/** As a watched namespace: every namespace of the cluster (one operator for several releases; the test tier's). */
export const anyNamespace = '*';

export function strimziHelmValues(watchNamespaces: string[], createGlobalResources = true): Record<string, unknown> {
  const operator = { image: { name: 'strimzi-operator' } };
  const kafka = { image: { name: 'strimzi-kafka' } };
  return {
    defaultImageRegistry: registryHost,
    defaultImageRepository: 'eventline-local',
    defaultImageTag: strimziVersion,
    // Always: the tags carry versions, and a rebuilt image keeps its tag (the registry is local, a pull costs a manifest check).
    image: { name: 'strimzi-operator', imagePullPolicy: 'Always' },
    topicOperator: operator,
    userOperator: operator,
    kafkaInit: operator,
    kafka,
    kafkaConnect: kafka,
    kafkaMirrorMaker2: kafka,
    kafkaExporter: kafka,
    cruiseControl: kafka,
    kafkaBridge: { image: { name: 'strimzi-kafka-bridge' } },
    kanikoExecutor: { image: { name: 'strimzi-kaniko-executor' } },
    buildah: { image: { name: 'strimzi-buildah' } },
    mavenBuilder: { image: { name: 'strimzi-maven-builder' } },
    // The release's own namespace is always watched; these are the others (or all of them).
    watchNamespaces: watchNamespaces.filter((ns) => ns !== anyNamespace),
    watchAnyNamespace: watchNamespaces.includes(anyNamespace),
    // Off beside another release that owns the cluster-wide roles (see installStrimziOperator).
    createGlobalResources,
    // Two cores shared by everyone on the machine: a small request, Strimzi's memory as it ships.
    resources: { requests: { cpu: '50m', memory: '384Mi' }, limits: { memory: '384Mi' } },
  };
}

function helm(args: string[]): string {
  const result = spawnSync(kubeToolPaths().helm, ['--kubeconfig', kubeconfigPath, ...args], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`helm ${args.join(' ')} failed: ${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

/**
 * The namespace of the Strimzi release that owns the cluster-wide ClusterRoles, when it is not
 * `namespace`: Strimzi's chart gives them fixed names, so a second release (the tests' beside a
 * developer's own) cannot create them again and must not take them over.
 */
function globalResourcesOwner(namespace: string): string | undefined {
  const owner = kubectl(['get', 'clusterrole', globalRoleProbe, '--ignore-not-found', '-o', 'jsonpath={.metadata.annotations.meta\\.helm\\.sh/release-namespace}']).trim();
  return owner && owner !== namespace ? owner : undefined;
}

/**
 * The ClusterRoleBindings Strimzi's chart makes with its global resources (templates 021, 030 and 033),
 * named after this release's namespace so that they stand beside the owner's: the operator's
 * ServiceAccount bound to the cluster-wide roles it needs and the ones it delegates to brokers and clients.
 */
function ownClusterRoleBindings(namespace: string): object[] {
  const bindings: [string, string][] = [
    ['strimzi-cluster-operator', 'strimzi-cluster-operator-global'],
    ['strimzi-cluster-operator-kafka-broker-delegation', 'strimzi-kafka-broker'],
    ['strimzi-cluster-operator-kafka-client-delegation', 'strimzi-kafka-client'],
  ];
  return bindings.map(([name, role]) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${name}-${namespace}`, labels: { [ownBindingLabel]: namespace } },
    subjects: [{ kind: 'ServiceAccount', name: 'strimzi-cluster-operator', namespace }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  }));
}

/**
 * Builds what is missing (Maven build, images), then `helm upgrade --install` of Strimzi's chart into
 * `namespace`, waiting for the operator's Deployment (Helm 4's `--wait=watcher`: kstatus, every
 * object of the release reconciled). Beside another Strimzi release (a developer's, in `eventline`)
 * the cluster-wide roles are that release's: this one installs without them and binds its operator
 * to them with bindings of its own, so the other release is never touched. Returns the seconds the
 * install took.
 */
export async function installStrimziOperator(namespace: string, watchNamespaces: string[] = []): Promise<number> {
  const build = await ensureStrimziBuild();
  await ensureStrimziImages();
  const owner = globalResourcesOwner(namespace);
  // Watching any namespace, the chart binds the operator with ClusterRoleBindings of fixed names, which
  // the release owning the cluster-wide roles has made already.
  if (owner !== undefined && watchNamespaces.includes(anyNamespace)) {
    throw new Error(`Strimzi's cluster-wide roles belong to the release in ${owner}: an operator watching any namespace cannot be installed beside it`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'eventline-strimzi-'));
  const values = join(dir, 'values.json');
  writeFileSync(values, JSON.stringify(strimziHelmValues(watchNamespaces, owner === undefined)));
  const started = Date.now();
  try {
    if (owner !== undefined) {
      log(`Strimzi's cluster-wide roles belong to the release in ${owner}: binding this operator to them`);
      kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: ownClusterRoleBindings(namespace) }));
    }
    helm(['upgrade', '--install', strimziReleaseName, build.helmChart, '-n', namespace, '--create-namespace', '-f', values, '--wait=watcher', '--timeout', '5m']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`Strimzi ${strimziVersion} operator installed in ${namespace} in ${seconds} s`);
  return seconds;
}

/** Removes the release (its ClusterRoles and bindings too, or the bindings it made beside another release); the CRDs stay, as Helm never deletes a chart's crds/. */
export function uninstallStrimziOperator(namespace: string): void {
  helm(['uninstall', strimziReleaseName, '-n', namespace, '--wait=watcher', '--timeout', '3m']);
  kubectl(['delete', 'clusterrolebinding', '-l', `${ownBindingLabel}=${namespace}`, '--ignore-not-found']);
}
