import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ensureKafkaJars } from '../kafka';
import { log, run } from '../shell';
import { repoRoot, versions } from '../settings';
import { extractVendoredArchive, vendoredArchiveSha } from '../vendored-archives';
import { ensureJavaBase } from './base-images';
import { buildAndPush, imageRef, inRegistry } from './docker-images';
import { imageCacheDir } from './settings';
import { ensureStrimziBuild, strimziVersion, type StrimziBuild } from './strimzi-build';

/**
 * Strimzi's images from its own recipes (docker-images/base, operator, kafka-based/kafka), translated
 * to the local Debian base (k8s/images/strimzi-*), under honest names:
 * - `eventline-local/strimzi-base:<strimzi>-java<version>`: the local Java base (`ensureJavaBase`) with Debian's tini and openssl;
 * - `eventline-local/strimzi-operator:<strimzi>`: the cluster, topic and user operators and kafka-init;
 * - `eventline-local/strimzi-kafka:<strimzi>-kafka-<kafka>`: Kafka in Strimzi's layout.
 * Each is built only when its tag is missing from the cluster's registry.
 */
const kafkaBinConfigArchive = 'kafka-bin-config-1eb76443.tar.gz';

export const strimziOperatorRef = imageRef('strimzi-operator', strimziVersion);
export const strimziKafkaRef = imageRef('strimzi-kafka', `${strimziVersion}-kafka-${versions.kafka}`);

export interface StrimziImageTime {
  image: string;
  seconds: number;
}

/** A fresh build context folder under the image cache. */
function context(name: string): string {
  const dir = join(imageCacheDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

const dockerfile = (name: string): string => join(repoRoot, 'k8s', 'images', name, 'Dockerfile');

/**
 * The tags carry Strimzi's and Kafka's versions, not the build's: a marker beside the image cache
 * records which Strimzi build (its cached folder) and recipe an image was made from, so a rebuilt
 * Strimzi or a changed Dockerfile makes the image again under the same tag.
 */
const markerOf = (ref: string): string => join(imageCacheDir, `${ref.slice(ref.lastIndexOf('/') + 1).replace(':', '-')}.built-from`);
const sourceOf = (build: StrimziBuild, recipe: string): string => `${build.dir}\n${readFileSync(dockerfile(recipe), 'utf8')}`;
const upToDate = (ref: string, source: string): boolean => inRegistry(ref) && existsSync(markerOf(ref)) && readFileSync(markerOf(ref), 'utf8') === source;
const markBuilt = (ref: string, source: string): void => writeFileSync(markerOf(ref), source);

async function ensureBase(): Promise<{ ref: string; seconds: number }> {
  const started = Date.now();
  const java = await ensureJavaBase();
  const ref = imageRef('strimzi-base', `${strimziVersion}-java${java.slice(java.lastIndexOf(':') + 1)}`);
  const source = `${java}\n${readFileSync(dockerfile('strimzi-base'), 'utf8')}`;
  if (upToDate(ref, source)) return { ref, seconds: 0 };
  await buildAndPush({
    ref,
    context: context(`strimzi-base-${strimziVersion}`),
    dockerfile: dockerfile('strimzi-base'),
    buildArgs: { BASE_IMAGE: java },
    logPath: join(imageCacheDir, `strimzi-base-${strimziVersion}.log`),
  });
  markBuilt(ref, source);
  return { ref, seconds: Math.round((Date.now() - started) / 1000) };
}

async function ensureOperator(base: string, build: StrimziBuild): Promise<number> {
  const source = `${base}\n${sourceOf(build, 'strimzi-operator')}`;
  if (upToDate(strimziOperatorRef, source)) return 0;
  const started = Date.now();
  const dir = context(`strimzi-operator-${strimziVersion}`);
  // As Strimzi's docker-images/operator/Makefile: the four -dist.zip unpacked into tmp/.
  for (const dist of build.operatorDists) run('unzip', ['-qo', dist, '-d', join(dir, 'tmp')]);
  cpSync(join(build.dockerImages, 'operator', 'scripts'), join(dir, 'scripts'), { recursive: true });
  await buildAndPush({
    ref: strimziOperatorRef,
    context: dir,
    dockerfile: dockerfile('strimzi-operator'),
    buildArgs: { BASE_IMAGE: base, STRIMZI_VERSION: strimziVersion },
    logPath: join(imageCacheDir, `strimzi-operator-${strimziVersion}.log`),
  });
  markBuilt(strimziOperatorRef, source);
  return Math.round((Date.now() - started) / 1000);
}

/** Every class name in the jars of `libDir` (`a.b.C`), to check the launch scripts against. */
function classesIn(libDir: string): Set<string> {
  const classes = new Set<string>();
  for (const jar of readdirSync(libDir).filter((f) => f.endsWith('.jar'))) {
    for (const entry of run('unzip', ['-Z1', join(libDir, jar)]).split('\n')) {
      if (entry.endsWith('.class')) classes.add(entry.slice(0, -'.class'.length).replaceAll('/', '.'));
    }
  }
  return classes;
}

/** The main class a Kafka launch script hands to kafka-run-class.sh, if it is such a script. */
export function launchedClass(script: string): string | undefined {
  return /kafka-run-class\.sh"?\s+(?:\$EXTRA_ARGS\s+)?([A-Za-z_][\w.]*\.[A-Z]\w*)/.exec(script)?.[1];
}

/** What Strimzi's kafka_run.sh starts: the broker and the storage formatter. */
const scriptsStrimziRuns = ['kafka-server-start.sh', 'kafka-storage.sh'];

/**
 * Kafka's bin/ and config/ from the vendored archive (a 4.0.0-SNAPSHOT trunk), checked against the
 * jars: a script whose main class the jars lack (ZooKeeper's, removed in 4.0) is left out; one that
 * Strimzi runs must be there.
 */
function kafkaHome(dir: string, libDir: string): string[] {
  const extracted = extractVendoredArchive(kafkaBinConfigArchive, join(dir, 'kafka-bin-config'));
  const home = join(dir, 'kafka');
  cpSync(join(extracted, 'config'), join(home, 'config'), { recursive: true });
  cpSync(libDir, join(home, 'libs'), { recursive: true });
  const classes = classesIn(libDir);
  const dropped: string[] = [];
  mkdirSync(join(home, 'bin'), { recursive: true });
  for (const script of readdirSync(join(extracted, 'bin'))) {
    const main = launchedClass(readFileSync(join(extracted, 'bin', script), 'utf8'));
    if (main && !classes.has(main)) {
      if (scriptsStrimziRuns.includes(script)) throw new Error(`${kafkaBinConfigArchive}: ${script} runs ${main}, which Kafka ${versions.kafka}'s jars lack`);
      dropped.push(`${script} (${main})`);
      continue;
    }
    cpSync(join(extracted, 'bin', script), join(home, 'bin', script));
    chmodSync(join(home, 'bin', script), 0o755);
  }
  rmSync(extracted, { recursive: true, force: true });
  return dropped;
}

async function ensureKafka(base: string, build: StrimziBuild): Promise<number> {
  const source = `${base}\n${sourceOf(build, 'strimzi-kafka')}`;
  if (upToDate(strimziKafkaRef, source)) return 0;
  const started = Date.now();
  vendoredArchiveSha(kafkaBinConfigArchive);
  const dir = context(`strimzi-kafka-${strimziVersion}-kafka-${versions.kafka}`);
  const dropped = kafkaHome(dir, ensureKafkaJars());
  if (dropped.length > 0) log(`strimzi-kafka: left out scripts whose class Kafka ${versions.kafka} lacks: ${dropped.join(', ')}`);
  cpSync(join(build.dockerImages, 'kafka-based', 'kafka', 'scripts'), join(dir, 'scripts'), { recursive: true });
  mkdirSync(join(dir, 'libs'));
  for (const jar of [build.kafkaAgentJar, build.tracingAgentJar]) cpSync(jar, join(dir, 'libs', basename(jar)));
  const kafkaLibs = new Set(readdirSync(join(dir, 'kafka', 'libs')));
  for (const jar of readdirSync(build.thirdPartyLibs)) {
    // A jar Kafka already ships, byte for byte the same name, is not copied twice.
    if (!kafkaLibs.has(jar)) cpSync(join(build.thirdPartyLibs, jar), join(dir, 'libs', jar));
  }
  await buildAndPush({
    ref: strimziKafkaRef,
    context: dir,
    dockerfile: dockerfile('strimzi-kafka'),
    buildArgs: { BASE_IMAGE: base, KAFKA_VERSION: versions.kafka, STRIMZI_VERSION: strimziVersion },
    logPath: join(imageCacheDir, `strimzi-kafka-${strimziVersion}-kafka-${versions.kafka}.log`),
  });
  markBuilt(strimziKafkaRef, source);
  return Math.round((Date.now() - started) / 1000);
}

/** Builds Strimzi if needed, then the three images that are missing from the registry; the time of each (0: already there). */
export async function ensureStrimziImages(): Promise<StrimziImageTime[]> {
  const build = await ensureStrimziBuild();
  const base = await ensureBase();
  const times: StrimziImageTime[] = [{ image: base.ref, seconds: base.seconds }];
  times.push({ image: strimziOperatorRef, seconds: await ensureOperator(base.ref, build) });
  times.push({ image: strimziKafkaRef, seconds: await ensureKafka(base.ref, build) });
  for (const t of times) log(`image ${t.image}: ${t.seconds > 0 ? `built and pushed in ${t.seconds} s` : 'already in the registry'}`);
  return times;
}
