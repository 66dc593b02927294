import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { findJava } from '../java';
import { buildCommand, log, mavenRepoDir, run } from '../shell';
import { cacheDir, versions } from '../settings';
import { buildStep, extractIntoStep, timedBuildStep, vendoredArchiveSha, type BuildStep } from '../vendored-archives';

/**
 * Strimzi's operators and Kafka agents built with Maven from the vendored source
 * (`strimzi-kafka-operator-<version>.tar.gz`, see the vendored README) into
 * `~/.cache/eventline/strimzi/strimzi-<version>-r<build revision>-<archive sha12>/`, with what the images and the install need
 * copied beside them: the `-dist.zip` of each operator (Strimzi's `docker-images/operator` recipe
 * unzips exactly these), the agent jars and third-party libraries of its Kafka image, Strimzi's image
 * scripts and its Helm chart. A second call finds the `done` marker and builds nothing.
 */
export const strimziVersion = '1.2.0';
const archive = `strimzi-kafka-operator-${strimziVersion}.tar.gz`;
const buildRoot = join(cacheDir, 'strimzi');
/** Part of the cached folder's name: raise it when the build below changes, so that a cache made by the old one is not taken. */
const buildRevision = 2;

/** What the operator image (the four dists) and the Kafka image (the two agents) are made of. */
const operatorModules = ['cluster-operator', 'user-operator', 'topic-operator', 'kafka-init'] as const;
const agentModules = ['kafka-agent', 'tracing-agent'] as const;

/**
 * The vendored README's measured flags: a JDK 21+ first on PATH (the CRD and doc generators run
 * `java`), compiler plugin 3.14.0 with annotation processing forced on and a lombok that knows JDK 25,
 * the OpenShift client at 7.3.1 (7.8.0 is not served here), no tests. The quality plugins
 * (checkstyle, spotbugs, jacoco, javadoc, sources) make nothing the images use and are skipped.
 */
const mavenFlags = [
  '-Dmaven.compiler.version=3.14.0',
  '-Dmaven.compiler.proc=full',
  '-Dlombok.version=1.18.42',
  '-Dfabric8.openshift-client.version=7.3.1',
  '-Dmaven.test.skip=true',
  '-Dmdep.analyze.skip=true',
  '-Dcheckstyle.skip=true',
  '-Dspotbugs.skip=true',
  '-Djacoco.skip=true',
  '-Dmaven.javadoc.skip=true',
  '-Dmaven.source.skip=true',
];

export interface StrimziBuild {
  dir: string;
  /** `<module>-<version>-dist.zip` of cluster-operator, user-operator, topic-operator, kafka-init. */
  operatorDists: string[];
  kafkaAgentJar: string;
  tracingAgentJar: string;
  /** Strimzi's third-party libraries for the Kafka line of `versions.kafka` (its kafka-versions.yaml says which). */
  thirdPartyLibs: string;
  /** Strimzi's `docker-images/` folder: the image scripts. */
  dockerImages: string;
  /** Strimzi's Helm 3 chart (`packaging/helm-charts/helm3/strimzi-kafka-operator`), CRDs included. */
  helmChart: string;
}

function paths(dir: string): StrimziBuild {
  return {
    dir,
    operatorDists: operatorModules.map((m) => join(dir, 'dists', `${m}-${strimziVersion}-dist.zip`)),
    kafkaAgentJar: join(dir, 'agents', `kafka-agent-${strimziVersion}.jar`),
    tracingAgentJar: join(dir, 'agents', `tracing-agent-${strimziVersion}.jar`),
    thirdPartyLibs: join(dir, 'kafka-thirdparty-libs'),
    dockerImages: join(dir, 'docker-images'),
    helmChart: join(dir, 'helm-chart'),
  };
}

/** Replaces `pattern` in a file of the extracted source; a pattern that no longer matches is an error, not a silent no-op. */
function editFile(file: string, what: string, edit: (text: string) => string): void {
  const before = readFileSync(file, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`Strimzi build tweak "${what}" changed nothing in ${file}: the vendored source differs from the one it was written for`);
  writeFileSync(file, after);
}

/** Strimzi's third-party Kafka plugins that Maven Central answers "not found" for here (checked by a build). */
const unservedThirdPartyLibs = [
  'io.strimzi:kafka-oauth-common',
  'io.strimzi:kafka-oauth-server',
  'io.strimzi:kafka-oauth-server-plain',
  'io.strimzi:kafka-oauth-client',
  'io.strimzi:kafka-oauth-keycloak-authorizer',
  'com.linkedin.cruisecontrol:cruise-control-metrics-reporter',
  'io.strimzi:server-metrics-reporter',
  'io.strimzi:kafka-quotas-plugin',
];

const dependencyBlock = /\s*<dependency>(?:(?!<\/dependency>)[\s\S])*<\/dependency>/g;
const tag = (block: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(block)?.[1];

/** A dependency's coordinates as dependencyManagement matches them: `groupId:artifactId:type:classifier`. */
const coordinates = (d: string): string => `${tag(d, 'groupId')}:${tag(d, 'artifactId')}:${tag(d, 'type') ?? 'jar'}:${tag(d, 'classifier') ?? ''}`;

/** The dependencies the root pom's dependencyManagement puts in test scope (e.g. api's test-jar, not api). */
function managedTestScoped(rootPom: string): Set<string> {
  const start = rootPom.indexOf('<dependencyManagement>');
  const end = rootPom.indexOf('</dependencyManagement>');
  const managed = rootPom.slice(start, end).match(dependencyBlock) ?? [];
  return new Set(managed.filter((d) => tag(d, 'scope') === 'test').map(coordinates));
}

/**
 * The edits the build needs, on the extracted copy only (the archive stays as shipped):
 * - root pom: `openshift-model` and `openshift-client-api` pinned to 7.3.1 (every other fabric8
 *   artifact stays 7.8.0: moving all of fabric8 breaks the Gateway API TLSRoute code);
 * - the three operators' test-scope dependencies removed, explicit or managed by the root pom: Maven
 *   resolves them even with tests skipped, and `strimzi-test-container` and
 *   `fault-injection-source-connector` are not served here;
 * - the third-party-libs pom without its extra repository (an unreachable host fails the resolution
 *   instead of falling through to Maven Central) and without the plugins Maven Central does not
 *   serve here (`unservedThirdPartyLibs`): the Kafka image then has no OAuth, Cruise Control metrics
 *   reporter, Strimzi metrics reporter or quotas plugin; the kafka-agent's Kubernetes client, the
 *   config provider, tracing and Prometheus libraries stay.
 */
function applyBuildTweaks(src: string, thirdPartyPom: string): void {
  const rootPom = join(src, 'pom.xml');
  for (const artifact of ['openshift-model', 'openshift-client-api']) {
    editFile(rootPom, `pin ${artifact} to 7.3.1`, (text) => text.replace(new RegExp(`(<artifactId>${artifact}</artifactId>\\s*<version>)[^<]*(</version>)`), '$17.3.1$2'));
  }
  const testScoped = managedTestScoped(readFileSync(rootPom, 'utf8'));
  for (const module of ['cluster-operator', 'user-operator', 'topic-operator']) {
    editFile(join(src, module, 'pom.xml'), `drop ${module}'s test-scope dependencies`, (text) =>
      text.replace(dependencyBlock, (d) => {
        const scope = tag(d, 'scope');
        const isTest = scope === 'test' || (scope === undefined && testScoped.has(coordinates(d)));
        return isTest ? '' : d;
      }),
    );
  }
  editFile(thirdPartyPom, "drop the third-party libs' extra repository", (text) => text.replace(/\s*<repositories>[\s\S]*?<\/repositories>/, ''));
  editFile(thirdPartyPom, 'drop the third-party libs not served here', (text) =>
    text.replace(dependencyBlock, (d) => (unservedThirdPartyLibs.includes(`${tag(d, 'groupId')}:${tag(d, 'artifactId')}`) ? '' : d)),
  );
  log(`strimzi: Kafka image without ${unservedThirdPartyLibs.join(', ')} (not served by Maven Central here)`);
}

/** Kafka `versions.kafka`'s third-party-libs folder as Strimzi's kafka-versions.yaml names it. */
function thirdPartyLibsFolder(src: string): string {
  const entries = parse(readFileSync(join(src, 'kafka-versions.yaml'), 'utf8')) as { version: string; supported: boolean; 'third-party-libs': string }[];
  const entry = entries.find((e) => e.version === versions.kafka);
  if (!entry?.supported) throw new Error(`Strimzi ${strimziVersion} does not support Kafka ${versions.kafka} (kafka-versions.yaml)`);
  return entry['third-party-libs'];
}

/**
 * Maven's log names the module that broke the reactor and why: `[ERROR] Failed to execute goal … on
 * project <module>: <error>`, or a `FAILURE` row of the Reactor Summary.
 */
export function failedModule(logText: string): { module: string; error: string } | undefined {
  const goal = /\[ERROR\] Failed to execute goal(?: .*?)? on project ([\w.-]+): (.*)/.exec(logText);
  // A compilation failure's reason is in the first compiler errors above the goal line.
  const compilerErrors = [...logText.matchAll(/^\[ERROR\] (\/\S+\.java:\[[\d,]+\] .*)$/gm)].slice(0, 3).map((m) => m[1]);
  if (goal?.[1] && goal[2]) return { module: goal[1], error: [goal[2].replace(/ -> \[Help \d+\]$/, ''), ...compilerErrors].join('\n  ') };
  const row = /\[INFO\] (.+?) \.+ FAILURE/.exec(logText);
  return row?.[1] ? { module: row[1], error: 'see the log' } : undefined;
}

/** The Reactor Summary's `module … SUCCESS [ time ]` rows of the last Maven run in the log. */
function moduleTimes(logText: string): string[] {
  const summary = logText.slice(logText.lastIndexOf('Reactor Summary'));
  return [...summary.matchAll(/\[INFO\] (.+?) \.+ (SUCCESS|FAILURE|SKIPPED)(?: \[\s*([^\]]+?)\s*\])?/g)].map((m) => `${m[1]} ${m[3] ?? m[2]}`);
}

/** The JDK 21+ the build runs on (JAVA_HOME, PATH or /usr/lib/jvm, as infra's findJava looks). */
function jdkHome(): string {
  const java = findJava(21);
  return dirname(dirname(realpathSync(java.startsWith('/') ? java : run('sh', ['-c', 'command -v java']).trim())));
}

async function maven(s: BuildStep, what: string, args: string[], cwd: string): Promise<void> {
  const javaHome = jdkHome();
  const env = { ...process.env, JAVA_HOME: javaHome, PATH: `${join(javaHome, 'bin')}:${process.env.PATH ?? ''}` };
  const started = Date.now();
  const logStart = existsSync(s.logPath) ? readFileSync(s.logPath, 'utf8').length : 0;
  try {
    await buildCommand(`strimzi ${what}`, s.logPath, 'mvn', ['-B', `-Dmaven.repo.local=${mavenRepoDir}`, ...args], { cwd, env });
  } catch (error) {
    const failed = failedModule(readFileSync(s.logPath, 'utf8').slice(logStart));
    if (!failed) throw error;
    throw new Error(`Strimzi ${strimziVersion}: module ${failed.module} failed: ${failed.error}\nfull log: ${s.logPath}`);
  } finally {
    log(`strimzi ${what}: ${Math.round((Date.now() - started) / 1000)} s (JDK ${javaHome})`);
  }
  const times = moduleTimes(readFileSync(s.logPath, 'utf8').slice(logStart));
  if (times.length > 0) log(`strimzi ${what} per module: ${times.join(', ')}`);
}

function copyResults(src: string, out: StrimziBuild, thirdPartyDir: string): void {
  mkdirSync(dirname(out.operatorDists[0]!), { recursive: true });
  for (const dist of out.operatorDists) cpSync(join(src, 'docker-images', 'artifacts', 'binaries', dist.split('/').pop()!), dist);
  mkdirSync(dirname(out.kafkaAgentJar), { recursive: true });
  cpSync(join(src, 'kafka-agent', 'target', `kafka-agent-${strimziVersion}.jar`), out.kafkaAgentJar);
  cpSync(join(src, 'tracing-agent', 'target', `tracing-agent-${strimziVersion}.jar`), out.tracingAgentJar);
  cpSync(join(thirdPartyDir, 'target', 'dependency'), out.thirdPartyLibs, { recursive: true });
  cpSync(join(src, 'docker-images'), out.dockerImages, { recursive: true });
  cpSync(join(src, 'packaging', 'helm-charts', 'helm3', 'strimzi-kafka-operator'), out.helmChart, { recursive: true });
  const missing = [...out.operatorDists, out.kafkaAgentJar, out.tracingAgentJar].filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`Strimzi build finished without ${missing.join(', ')}`);
  if (readdirSync(out.thirdPartyLibs).length === 0) throw new Error(`no third-party libraries in ${out.thirdPartyLibs}`);
}

/**
 * The cluster operator validates a Kafka's `config` against `kafka-<version>-config-model.json` in
 * its resources, which Strimzi's config-model-generator/build-config-models.sh writes for every Kafka
 * version of kafka-versions.yaml (through yq and a nested Maven, not part of `-pl … -am`). The same
 * Maven call here, for Kafka `versions.kafka`, the one version the local Kafka image has; the
 * generator needs `config-model` installed in the local repository first.
 */
async function generateConfigModel(s: BuildStep, src: string): Promise<void> {
  await maven(s, 'config-model (install)', ['install', '-pl', 'config-model', '-am', ...mavenFlags], src);
  await maven(
    s,
    `config model of Kafka ${versions.kafka}`,
    [
      'verify',
      'exec:java',
      '-Pgenerate-model',
      `-Dkafka-metadata-version=${versions.kafka}`,
      `-Dconfig-model-file=../cluster-operator/src/main/resources/kafka-${versions.kafka}-config-model.json`,
      ...mavenFlags,
    ],
    join(src, 'config-model-generator'),
  );
  const model = join(src, 'cluster-operator', 'src', 'main', 'resources', `kafka-${versions.kafka}-config-model.json`);
  if (!existsSync(model)) throw new Error(`Strimzi's config model generator wrote no ${model} (log: ${s.logPath})`);
}

let building: Promise<StrimziBuild> | undefined;

/** Builds Strimzi once (memoised within a process, cached across processes). */
export function ensureStrimziBuild(): Promise<StrimziBuild> {
  building ??= build();
  building.catch(() => {
    building = undefined;
  });
  return building;
}

async function build(): Promise<StrimziBuild> {
  const s = buildStep(buildRoot, 'strimzi', `${strimziVersion}-r${buildRevision}`, vendoredArchiveSha(archive).slice(0, 12));
  const out = paths(s.dir);
  if (s.done) return out;
  await timedBuildStep(s, `Strimzi ${strimziVersion} (${[...operatorModules, ...agentModules].join(', ')}; Maven repository ${mavenRepoDir})`, async () => {
    const extractStarted = Date.now();
    const src = extractIntoStep(s, archive);
    const thirdPartyDir = join(src, 'docker-images', 'artifacts', 'kafka-thirdparty-libs', thirdPartyLibsFolder(src));
    applyBuildTweaks(src, join(thirdPartyDir, 'pom.xml'));
    log(`strimzi extract + build tweaks: ${Math.round((Date.now() - extractStarted) / 1000)} s`);
    await generateConfigModel(s, src);
    await maven(s, 'modules', ['package', '-pl', [...operatorModules, ...agentModules].join(','), '-am', ...mavenFlags], src);
    // As Strimzi's docker-images/artifacts/build.sh does: the libraries its Kafka image adds to Kafka's.
    await maven(s, `kafka-thirdparty-libs ${thirdPartyLibsFolder(src)}`, ['dependency:copy-dependencies'], thirdPartyDir);
    copyResults(src, out, thirdPartyDir);
  });
  return out;
}
