import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from '@eventline/observability';
import { SERVICE_NAME, type ConfigStore, type SourceEntry } from '../config-store';
import { settingValue, type ConfigSource } from './source';

/**
 * Local development: `<dir>/<service>.json`, a JSON object of settings, e.g.
 * `config/user-service.json` = `{"LOG_LEVEL": "debug"}`. Rescanned on every change the folder
 * reports and every `resyncMs` (file watching misses events on some file systems). A file that does
 * not parse keeps the settings it had before, with an error in the log.
 */
export class FolderSource implements ConfigSource {
  readonly name = 'folder';
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private synced = false;
  private scanning: Promise<void> = Promise.resolve();
  private readonly lastGood = new Map<string, SourceEntry>();

  constructor(private readonly options: { dir: string; store: ConfigStore; logger: Logger; resyncMs: number }) {}

  async start(): Promise<void> {
    await this.scan();
    try {
      this.watcher = watch(this.options.dir, () => {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.rescan(), 100);
      });
    } catch (error) {
      this.options.logger.warn({ err: error, dir: this.options.dir }, 'cannot watch the config folder; rescanning on a timer only');
    }
    this.timer = setInterval(() => void this.rescan(), this.options.resyncMs);
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    await this.scanning;
  }

  isSynced(): boolean {
    return this.synced;
  }

  private rescan(): Promise<void> {
    this.scanning = this.scanning
      .then(() => this.scan())
      .catch((error: unknown) => {
        this.options.logger.error({ err: error, dir: this.options.dir }, 'config folder scan failed');
      });
    return this.scanning;
  }

  private async scan(): Promise<void> {
    const { dir, store, logger } = this.options;
    let files: string[];
    try {
      files = (await readdir(dir)).filter((file) => file.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      files = [];
    }
    const entries: SourceEntry[] = [];
    for (const file of files.sort()) {
      const service = basename(file, '.json');
      if (!SERVICE_NAME.test(service)) {
        logger.warn({ file }, 'ignoring a config file whose name is not a service name');
        continue;
      }
      const id = `file/${file}`;
      try {
        const parsed: unknown = JSON.parse(await readFile(join(dir, file), 'utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('must hold a JSON object of settings');
        const settings: Record<string, string> = {};
        for (const [key, value] of Object.entries(parsed)) {
          const text = settingValue(value);
          if (text === undefined) throw new Error(`setting "${key}" must be a string, number or boolean`);
          settings[key] = text;
        }
        const entry = { id, service, settings };
        this.lastGood.set(id, entry);
        entries.push(entry);
      } catch (error) {
        logger.error({ file: join(dir, file), err: error }, 'config file not loaded; keeping its previous settings');
        const previous = this.lastGood.get(id);
        if (previous) entries.push(previous);
      }
    }
    store.replaceAll(entries);
    this.synced = true;
  }
}
