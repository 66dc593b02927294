import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentdbSettings, ensureFerretdbStack } from '../ferretdb-build';
import { registryComponent } from '../registry';
import { zipkinComponent } from '../zipkin';
import { ensureCollectorBinary } from '../otel-collector';
import { log } from '../shell';
import { cacheDir, repoRoot, versions } from '../settings';
import { ensureDebianBase, ensureJavaBase } from './base-images';
import { buildAndPush, ensureScratchImage, imageRef } from './docker-images';
import { imageCacheDir } from './settings';

/**
 * The chart's third-party servers, built here from registry packages and the vendored sources under
 * honest names (`eventline-local/<name>`, never the upstream image's name). Each has a folder in
 * k8s/images/ (its Dockerfile says what it is). Like the service images they are built on every
 * call: the layer cache makes an unchanged one quick, and a changed recipe is never skipped.
 */
export const postgresRef = imageRef('postgres', '15');
export const documentdbRef = imageRef('documentdb', `${versions.documentdb}-pg15`);
export const ferretdbRef = imageRef('ferretdb', versions.ferretdb);
export const apicurioRef = imageRef('apicurio-registry', versions.apicurio);
export const zipkinRef = imageRef('zipkin', versions.zipkin);
export const prometheusRef = imageRef('prometheus', '2.42');
export const otelCollectorRef = imageRef('otel-collector', versions.otelCollector);

const recipe = (name: string) => join(repoRoot, 'k8s', 'images', name);

async function timedBuild(ref: string, build: () => Promise<unknown>): Promise<{ image: string; seconds: number }> {
  const started = Date.now();
  await build();
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`image ${ref} in ${seconds} s`);
  return { image: ref, seconds };
}

export const buildPostgresImage = async () =>
  timedBuild(postgresRef, async () =>
    buildAndPush({
      ref: postgresRef,
      context: recipe('postgres'),
      buildArgs: { BASE_IMAGE: await ensureDebianBase() },
      logPath: join(imageCacheDir, 'postgres-15.log'),
    }),
  );

/** PostgreSQL 15 + DocumentDB: the postgres image plus the extensions infra built from the vendored sources. */
export const buildDocumentdbImage = async () =>
  timedBuild(documentdbRef, async () => {
    const stack = await ensureFerretdbStack();
    const context = join(imageCacheDir, `documentdb-${versions.documentdb}-context`);
    rmSync(context, { recursive: true, force: true });
    mkdirSync(join(context, 'stage'), { recursive: true });
    for (const stage of stack.extensionStages) cpSync(stage, join(context, 'stage'), { recursive: true });
    cpSync(recipe('documentdb'), context, { recursive: true });
    // The settings infra's own DocumentDB server runs with (infra/src/mongo.ts), one place for both.
    writeFileSync(join(context, 'documentdb.conf'), `${documentdbSettings.join('\n')}\n`);
    await buildAndPush({
      ref: documentdbRef,
      context,
      buildArgs: { POSTGRES_IMAGE: postgresRef },
      logPath: join(imageCacheDir, `documentdb-${versions.documentdb}.log`),
    });
  });

/** FerretDB is one static Go binary (infra's build from the vendored source): an image FROM scratch. */
export const buildFerretdbImage = async () =>
  timedBuild(ferretdbRef, async () => {
    const stack = await ensureFerretdbStack();
    await ensureScratchImage('ferretdb', versions.ferretdb, stack.ferretdb);
  });

export const buildApicurioImage = async () =>
  timedBuild(apicurioRef, async () => {
    await registryComponent.install();
    await buildAndPush({
      ref: apicurioRef,
      context: join(cacheDir, 'apicurio', versions.apicurio),
      dockerfile: join(recipe('apicurio'), 'Dockerfile'),
      buildArgs: { JAVA_IMAGE: await ensureJavaBase() },
      logPath: join(imageCacheDir, `apicurio-registry-${versions.apicurio}.log`),
    });
  });

export const buildZipkinImage = async () =>
  timedBuild(zipkinRef, async () => {
    await zipkinComponent.install();
    await buildAndPush({
      ref: zipkinRef,
      context: join(cacheDir, 'zipkin'),
      dockerfile: join(recipe('zipkin'), 'Dockerfile'),
      buildArgs: { JAVA_IMAGE: await ensureJavaBase(), ZIPKIN_VERSION: versions.zipkin },
      logPath: join(imageCacheDir, `zipkin-${versions.zipkin}.log`),
    });
  });

export const buildPrometheusImage = async () =>
  timedBuild(prometheusRef, async () =>
    buildAndPush({
      ref: prometheusRef,
      context: recipe('prometheus'),
      buildArgs: { BASE_IMAGE: await ensureDebianBase() },
      logPath: join(imageCacheDir, 'prometheus-2.42.log'),
    }),
  );

/** The Collector is one static Go binary (infra's build with the Collector builder): an image FROM scratch. */
export const buildOtelCollectorImage = async () =>
  timedBuild(otelCollectorRef, async () => ensureScratchImage('otel-collector', versions.otelCollector, await ensureCollectorBinary()));

/** Every third-party image the chart's values-local.yaml names, in dependency order. */
export async function buildThirdPartyImages(): Promise<{ image: string; seconds: number }[]> {
  const times = [await buildPostgresImage()];
  times.push(
    await buildDocumentdbImage(),
    await buildFerretdbImage(),
    await buildApicurioImage(),
    await buildZipkinImage(),
    await buildPrometheusImage(),
    await buildOtelCollectorImage(),
  );
  return times;
}
