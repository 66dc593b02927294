import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeToolPaths } from '../kube-tools';
import { log } from '../shell';
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

export function strimziHelmValues(watchNamespaces: string[]): Record<string, unknown> {
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
    // The release's own namespace is always watched; these are the others.
    watchNamespaces,
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
 * Builds what is missing (Maven build, images), then `helm upgrade --install` of Strimzi's chart into
 * `namespace`, waiting for the operator's Deployment (Helm 4's `--wait=watcher`: kstatus, every
 * object of the release reconciled). Returns the seconds the install took.
 */
export async function installStrimziOperator(namespace: string, watchNamespaces: string[] = []): Promise<number> {
  const build = await ensureStrimziBuild();
  await ensureStrimziImages();
  const dir = mkdtempSync(join(tmpdir(), 'eventline-strimzi-'));
  const values = join(dir, 'values.json');
  writeFileSync(values, JSON.stringify(strimziHelmValues(watchNamespaces)));
  const started = Date.now();
  try {
    helm(['upgrade', '--install', strimziReleaseName, build.helmChart, '-n', namespace, '--create-namespace', '-f', values, '--wait=watcher', '--timeout', '5m']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`Strimzi ${strimziVersion} operator installed in ${namespace} in ${seconds} s`);
  return seconds;
}

/** Removes the release (its ClusterRoles and bindings too); the CRDs stay, as Helm never deletes a chart's crds/. */
export function uninstallStrimziOperator(namespace: string): void {
  helm(['uninstall', strimziReleaseName, '-n', namespace, '--wait=watcher', '--timeout', '3m']);
}
