import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildCommand, log } from '../shell';
import { repoRoot } from '../settings';
import { ensureDebianBase } from './base-images';
import { timedBuild } from './binaries';
import { buildAndPush, imageRef, inRegistry } from './docker-images';
import { goModuleDir } from './go-modules';
import { binCacheDir, clusterVersions, imageCacheDir } from './settings';

/**
 * Traefik v3, the cluster's Gateway API controller, built from its Go module. Its go.mod has
 * replace directives (a `./pkg/...` path and forks), which only apply when Traefik is the main
 * module: so the module folder is copied out of the read-only module cache and `go build
 * ./cmd/traefik` runs inside the copy, with the same GOCACHE/GOMODCACHE as every other build here.
 */
const version = clusterVersions.traefik;
const buildDir = join(binCacheDir, `traefik-${version}`);
export const traefikBinaryPath = join(buildDir, 'traefik');
export const traefikRef = imageRef('traefik', `v${version}`);

const versionPackage = 'github.com/traefik/traefik/v3/pkg/version';

export async function ensureTraefikBinary(): Promise<string> {
  await timedBuild(`traefik ${version}`, traefikBinaryPath, async (logPath, partial) => {
    const moduleCopy = join(buildDir, 'module');
    rmSync(moduleCopy, { recursive: true, force: true });
    cpSync(goModuleDir('github.com/traefik/traefik/v3', `v${version}`), moduleCopy, { recursive: true });
    await buildCommand('traefik (chmod the module copy)', logPath, 'chmod', ['-R', 'u+w', moduleCopy]);
    await buildCommand(
      `traefik ${version}`,
      logPath,
      'go',
      [
        'build',
        '-trimpath',
        '-o',
        partial,
        // As Traefik's Makefile does; the codename says where this binary comes from.
        `-ldflags=-s -w -X ${versionPackage}.Version=v${version} -X ${versionPackage}.Codename=eventline-local`,
        './cmd/traefik',
      ],
      { cwd: moduleCopy, env: { ...process.env, CGO_ENABLED: '0' }, niceness: 19 },
    );
    rmSync(moduleCopy, { recursive: true, force: true });
  });
  return traefikBinaryPath;
}

/** `eventline-local/traefik:v<version>`: the binary on the Debian base (k8s/images/traefik). */
export async function ensureTraefikImage(): Promise<string> {
  if (inRegistry(traefikRef)) return traefikRef;
  const binary = await ensureTraefikBinary();
  const base = await ensureDebianBase();
  const context = join(imageCacheDir, `traefik-${version}`);
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
  cpSync(binary, join(context, 'traefik'));
  const seconds = await buildAndPush({
    ref: traefikRef,
    context,
    dockerfile: join(repoRoot, 'k8s', 'images', 'traefik', 'Dockerfile'),
    buildArgs: { BASE_IMAGE: base },
    logPath: join(imageCacheDir, `traefik-${version}.log`),
  });
  log(`image ${traefikRef} built and pushed in ${seconds} s`);
  return traefikRef;
}
