import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCommand, log } from '../shell';
import { dockerEnv } from './components';
import { imageCacheDir, registryHost } from './settings';

/**
 * Images built with the local dockerd (legacy builder: BuildKit needs buildx, which Debian 12 lacks,
 * and its `# syntax=` frontend could not be pulled) and pushed to the local registry, where
 * containerd pulls them. An image is rebuilt only when its tag is missing from the registry: tags
 * carry the version of what is inside.
 */
export const imageRef = (name: string, tag: string): string => `${registryHost}/eventline-local/${name}:${tag}`;

export function inRegistry(ref: string): boolean {
  const [repoPath, tag] = ref.slice(registryHost.length + 1).split(':');
  const result = spawnSync(
    'curl',
    ['-fsS', '-o', '/dev/null', '-H', 'Accept: application/vnd.docker.distribution.manifest.v2+json', `http://${registryHost}/v2/${repoPath}/manifests/${tag}`],
    { stdio: 'ignore' },
  );
  return result.status === 0;
}

export interface ImageBuild {
  ref: string;
  /** The build context folder, the Dockerfile inside it unless `dockerfile` says where. */
  context: string;
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  logPath: string;
}

export async function buildAndPush(image: ImageBuild): Promise<number> {
  const started = Date.now();
  const args = ['build', '--network', 'host', '-t', image.ref];
  if (image.dockerfile) args.push('-f', image.dockerfile);
  for (const [key, value] of Object.entries(image.buildArgs ?? {})) args.push('--build-arg', `${key}=${value}`);
  args.push(image.context);
  await buildCommand(`image ${image.ref}`, image.logPath, 'docker', args, { env: dockerEnv, niceness: 19 });
  await buildCommand(`push ${image.ref}`, image.logPath, 'docker', ['push', image.ref], { env: dockerEnv, niceness: 19 });
  return Math.round((Date.now() - started) / 1000);
}

/** An image FROM scratch holding one static binary at `/<name>`. */
export async function ensureScratchImage(name: string, tag: string, binary: string): Promise<string> {
  const ref = imageRef(name, tag);
  if (inRegistry(ref)) return ref;
  const context = join(imageCacheDir, `${name}-${tag}`);
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
  spawnSync('cp', [binary, join(context, name)]);
  writeFileSync(join(context, 'Dockerfile'), ['FROM scratch', `COPY ${name} /${name}`, 'USER 65532:65532', `ENTRYPOINT ["/${name}"]`, ''].join('\n'));
  const seconds = await buildAndPush({ ref, context, logPath: join(imageCacheDir, `${name}-${tag}.log`) });
  log(`image ${ref} built and pushed in ${seconds} s`);
  return ref;
}
