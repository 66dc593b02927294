import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './settings';

/**
 * The project's Node.js and npm versions, read from the one place each is stated: `.nvmrc` and
 * package.json's `packageManager`. scripts/node.sh installs the same pair for local runs and tests;
 * the cluster's Node base image carries it; the Dockerfile's default and skaffold's local profile
 * name it too, and a unit test holds them to these files.
 */
export function projectNodeVersion(root = repoRoot): string {
  const version = readFileSync(join(root, '.nvmrc'), 'utf8').trim().replace(/^v/, '');
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`.nvmrc: expected an exact version such as 24.22.3, got "${version}"`);
  return version;
}

export function projectNpmVersion(root = repoRoot): string {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager?: string };
  const match = /^npm@(\d+\.\d+\.\d+)$/.exec(manifest.packageManager ?? '');
  if (!match) throw new Error(`package.json: packageManager must be npm@<exact version>, got "${manifest.packageManager}"`);
  return match[1]!;
}
