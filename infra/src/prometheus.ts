import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianPackages } from './debian';
import { runningPid, start, waitFor } from './processes';
import { host, ports, stateDir, urls } from './settings';
import type { Component } from './component';

/**
 * Prometheus 2.42 from Debian, scraping every service's /metrics. What it scrapes is file-based
 * discovery: each runner of services (`npm run up`, a test's platform) writes its targets under
 * `targets/` with writeScrapeTargets, and Prometheus picks them up within seconds.
 */
const baseDir = join(stateDir, 'prometheus');
const targetsDir = join(baseDir, 'targets');
const configFile = join(baseDir, 'prometheus.yml');
/** Seconds between scrapes; short, so that a developer (and a test) sees traffic almost at once. */
const SCRAPE_INTERVAL_SECONDS = 5;

export interface ScrapeTarget {
  service: string;
  /** host:port of the service's HTTP server, which serves /metrics. */
  address: string;
}

/** Names `targets` for Prometheus as the set `name` (replacing that set), labelled by service. */
export function writeScrapeTargets(name: string, targets: ScrapeTarget[], labels: Record<string, string> = {}): void {
  mkdirSync(targetsDir, { recursive: true });
  const groups = targets.map(({ service, address }) => ({ targets: [address], labels: { ...labels, service } }));
  // Written beside and renamed: Prometheus never reads half a file.
  const file = join(targetsDir, `${name}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(groups, null, 2));
  renameSync(`${file}.tmp`, file);
}

export function removeScrapeTargets(name: string): void {
  rmSync(join(targetsDir, `${name}.json`), { force: true });
}

function writeConfig(): void {
  mkdirSync(targetsDir, { recursive: true });
  writeFileSync(
    configFile,
    [
      'global:',
      `  scrape_interval: ${SCRAPE_INTERVAL_SECONDS}s`,
      `  evaluation_interval: ${SCRAPE_INTERVAL_SECONDS}s`,
      'scrape_configs:',
      '  - job_name: eventline',
      '    file_sd_configs:',
      `      - files: ['${targetsDir}/*.json']`,
      '        refresh_interval: 2s',
      '',
    ].join('\n'),
  );
}

async function healthy(): Promise<boolean> {
  const response = await fetch(`${urls.prometheus}/-/ready`, { signal: AbortSignal.timeout(2000) });
  return response.ok;
}

export const prometheusComponent: Component = {
  name: 'prometheus',
  version: 'Prometheus 2.42 (Debian)',
  address: urls.prometheus,
  ports: [ports.prometheus],
  install: () => ensureDebianPackages(['prometheus'], 'the metrics store'),
  start() {
    writeConfig();
    start({
      name: 'prometheus',
      command: '/usr/bin/prometheus',
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(baseDir, 'data')}`,
        '--storage.tsdb.retention.time=1d',
        `--web.listen-address=${host}:${ports.prometheus}`,
        '--web.console.templates=/usr/share/prometheus/web/consoles',
        '--web.console.libraries=/usr/share/prometheus/web/console_libraries',
      ],
    });
  },
  isRunning: () => runningPid('prometheus') !== undefined,
  healthy,
  waitHealthy: () => waitFor('prometheus', healthy, 60_000, 'prometheus'),
};
