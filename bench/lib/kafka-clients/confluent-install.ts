import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * The package is a NAN addon: it loads only in the Node major whose headers node-gyp compiled it
 * against. node-gyp takes them from npm's `nodedir` (here Debian's, /usr) or downloads them from
 * nodejs.org, which this machine does not reach; no registry here serves the headers of the Node the
 * project runs. Refuses before a four-minute build that could not load.
 */
function checkNodeHeaders(): void {
  const nodedir = execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).trim();
  const header = join(nodedir, 'include', 'node', 'node_version.h');
  const major = existsSync(header) ? /#define NODE_MAJOR_VERSION (\d+)/.exec(readFileSync(header, 'utf8'))?.[1] : undefined;
  const running = process.versions.node.split('.')[0];
  if (major !== running) {
    throw new Error(
      `@confluentinc/kafka-javascript ${confluentVersion} is a NAN addon and needs Node ${running}'s headers to load in Node ${process.version}; ` +
        `node-gyp here has ${major ? `Node ${major}'s (${nodedir})` : 'none'}, and no registry here serves node-${process.version}-headers.tar.gz`,
    );
  }
}

export async function ensureConfluentClient(): Promise<string> {
  const done = join(installDir, '.installed');
  checkNodeHeaders();
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
