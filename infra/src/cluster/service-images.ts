import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { log } from '../shell';
import { repoRoot } from '../settings';
import { deployableServices } from '../service-table';
import { ensureNodeBase } from './base-images';
import { buildAndPush } from './docker-images';
import { imageCacheDir, registryHost } from './settings';
import { buildThirdPartyImages } from './third-party-images';

/**
 * The service images (one per service of the chart's service table) from the repository's Dockerfile, only build args changed: the local
 * Node base instead of the official image. Pushed as `127.0.0.1:5000/eventline-<service>:<tag>`,
 * the names the chart makes from `image.registry` and `image.tag`.
 */
export const services: readonly string[] = deployableServices();

export const localServiceTag = 'local';
export const serviceImageRef = (service: string, tag = localServiceTag): string => `${registryHost}/eventline-${service}:${tag}`;

export interface ImageTime {
  image: string;
  seconds: number;
}

/** Builds and pushes one service image on the local Node base. */
export async function buildServiceImage(service: string, tag = localServiceTag): Promise<ImageTime> {
  const nodeBase = await ensureNodeBase();
  mkdirSync(imageCacheDir, { recursive: true });
  const ref = serviceImageRef(service, tag);
  const seconds = await buildAndPush({
    ref,
    context: repoRoot,
    dockerfile: join(repoRoot, 'Dockerfile'),
    buildArgs: { SERVICE: service, NODE_IMAGE: nodeBase },
    logPath: join(imageCacheDir, `eventline-${service}.log`),
  });
  log(`image ${ref} in ${seconds} s`);
  return { image: ref, seconds };
}

/** Builds and pushes every service image (the layer cache makes an unchanged rebuild quick), then the chart's third-party images. */
export async function buildServiceImages(tag = localServiceTag): Promise<ImageTime[]> {
  const times: ImageTime[] = [];
  const started = Date.now();
  const nodeBase = await ensureNodeBase();
  times.push({ image: nodeBase, seconds: Math.round((Date.now() - started) / 1000) });
  mkdirSync(imageCacheDir, { recursive: true });
  for (const service of services) times.push(await buildServiceImage(service, tag));
  times.push(...(await buildThirdPartyImages()));
  return times;
}
