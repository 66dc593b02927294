import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, run } from './shell';
import { vendorDir } from './settings';

/**
 * The source archives of the vendored folder (`../shared/vendor` or `$EVENTLINE_VENDOR_DIR`, see its
 * README) and the cached build steps made from them. A step's folder is named after the archive's
 * sha256 (checked against the folder's SHA256SUMS), so a new archive rebuilds and an unchanged one
 * never does.
 */

/** The archive's checksum as SHA256SUMS lists it, after checking the file against it. */
export function vendoredArchiveSha(fileName: string): string {
  const file = join(vendorDir, fileName);
  if (!existsSync(file)) {
    throw new Error(`vendored archive ${file} is missing: clone the repository next to shared/ or set EVENTLINE_VENDOR_DIR`);
  }
  const sums = readFileSync(join(vendorDir, 'SHA256SUMS'), 'utf8');
  const listed = sums
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find(([, f]) => f === fileName)?.[0];
  if (!listed) throw new Error(`${fileName} is not listed in ${join(vendorDir, 'SHA256SUMS')}`);
  const actual = createHash('sha256').update(readFileSync(file)).digest('hex');
  if (actual !== listed) throw new Error(`${file}: sha256 ${actual} differs from SHA256SUMS (${listed})`);
  return listed;
}

/** One build step's folder: `<root>/<name>-<version>-<key>` holding build.log, the result and a `done` marker. */
export interface BuildStep {
  name: string;
  dir: string;
  logPath: string;
  done: boolean;
}

export function buildStep(root: string, name: string, version: string, key: string): BuildStep {
  const dir = join(root, `${name}-${version}-${key}`);
  return { name, dir, logPath: join(dir, 'build.log'), done: existsSync(join(dir, 'done')) };
}

/** Unpacks a vendored archive (they hold one top folder) into `target`, emptied first. */
export function extractVendoredArchive(fileName: string, target: string): string {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  run('tar', ['-xzf', join(vendorDir, fileName), '-C', target, '--strip-components=1']);
  return target;
}

/** A fresh copy of the archive's tree in `<step>/src`. */
export function extractIntoStep(s: BuildStep, fileName: string): string {
  return extractVendoredArchive(fileName, join(s.dir, 'src'));
}

/**
 * Runs a step from an empty folder; `<step>/src` is removed afterwards and `done` written with the
 * time taken, so that a later call sees the step as built.
 */
export async function timedBuildStep(s: BuildStep, what: string, body: () => Promise<void>): Promise<number> {
  log(`building ${what} (log: ${s.logPath})`);
  const started = Date.now();
  rmSync(s.dir, { recursive: true, force: true });
  mkdirSync(s.dir, { recursive: true });
  await body();
  rmSync(join(s.dir, 'src'), { recursive: true, force: true });
  const seconds = Math.round((Date.now() - started) / 1000);
  writeFileSync(join(s.dir, 'done'), `built in ${seconds} s\n`);
  log(`built ${what} in ${seconds} s`);
  return seconds;
}
