import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCommand, cacheDir, ensureDebianPackages } from '@eventline/infra';

/**
 * @confluentinc/kafka-javascript for the bake-off, installed on first use into the cache (not the
 * repository's dependencies: its install compiles librdkafka, ~95 s here). Its prebuilt binary is a
 * download from github.com, which this machine does not reach, and its default source build has
 * librdkafka's configure download zlib, OpenSSL, zstd and curl; `CKJS_LINKING=dynamic` (the
 * package's own switch) builds the bundled librdkafka against Debian's libraries instead.
 */
export const confluentVersion = '1.10.1';
const installDir = join(cacheDir, `confluent-kafka-javascript-${confluentVersion}`);
export const confluentModuleDir = join(installDir, 'node_modules', '@confluentinc', 'kafka-javascript');
const buildLibraries = ['libssl-dev', 'zlib1g-dev', 'libzstd-dev', 'libcurl4-openssl-dev', 'libsasl2-dev', 'liblz4-dev', 'pkg-config', 'g++', 'make', 'python3'];

export async function ensureConfluentClient(): Promise<string> {
  const done = join(installDir, '.installed');
  if (existsSync(done)) return confluentModuleDir;
  ensureDebianPackages(buildLibraries, `@confluentinc/kafka-javascript ${confluentVersion} (librdkafka, dynamically linked)`);
  const building = `${installDir}.partial`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  writeFileSync(join(building, 'package.json'), JSON.stringify({ name: 'confluent-kafka-javascript-cache', private: true }));
  const logPath = join(cacheDir, `confluent-kafka-javascript-${confluentVersion}.log`);
  process.stderr.write(`[bench] building @confluentinc/kafka-javascript ${confluentVersion} against Debian's libraries (log: ${logPath})\n`);
  await buildCommand('npm install', logPath, 'npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', `@confluentinc/kafka-javascript@${confluentVersion}`], {
    cwd: building,
    // One make job: the gyp build's config.h is made by librdkafka's configure, and a parallel make can
    // reach a target that needs it first ("No rule to make target '../deps/librdkafka/config.h'").
    env: { ...process.env, CKJS_LINKING: 'dynamic', JOBS: '1' },
  });
  rmSync(installDir, { recursive: true, force: true });
  renameSync(building, installDir);
  writeFileSync(done, new Date().toISOString());
  return confluentModuleDir;
}
