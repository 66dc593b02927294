import { join } from 'node:path';
import { log } from '../shell';
import { repoRoot } from '../settings';
import { ensureDebianBase } from './base-images';
import { buildAndPush, imageRef, inRegistry } from './docker-images';
import { imageCacheDir } from './settings';

/**
 * The chart's third-party servers, built here from registry packages under honest names
 * (`eventline-local/<name>`, never the upstream image's name). Each has a folder in k8s/images/.
 */
export const postgresRef = imageRef('postgres', '15');

export async function ensurePostgresImage(): Promise<string> {
  if (inRegistry(postgresRef)) return postgresRef;
  const base = await ensureDebianBase();
  const seconds = await buildAndPush({
    ref: postgresRef,
    context: join(repoRoot, 'k8s', 'images', 'postgres'),
    buildArgs: { BASE_IMAGE: base },
    logPath: join(imageCacheDir, 'postgres-15.log'),
  });
  log(`image ${postgresRef} in ${seconds} s`);
  return postgresRef;
}
