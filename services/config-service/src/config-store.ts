import { createHash } from 'node:crypto';

/** What GET /config/:service answers. */
export interface ServiceConfig {
  service: string;
  /** Setting name → value; where several sources set one, the source whose id sorts last wins. */
  settings: Record<string, string>;
  /** Where the settings came from, e.g. `configmap/eventline/user-service-config`. */
  sources: string[];
  /** A strong HTTP entity tag of service + settings (not of the sources' metadata). */
  etag: string;
}

export interface SourceEntry {
  /** Unique per source object: `configmap/<namespace>/<name>`, `file/<name>`. */
  id: string;
  service: string;
  settings: Record<string, string>;
}

/** Called with the new configuration, or undefined when the service has none any more. */
export type ConfigListener = (config: ServiceConfig | undefined) => void;

export const SERVICE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function entityTag(service: string, settings: Record<string, string>): string {
  const canonical = JSON.stringify([
    service,
    Object.keys(settings)
      .sort()
      .map((key) => [key, settings[key]]),
  ]);
  return `"${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}"`;
}

/**
 * The settings of every service, fed by a source (ConfigMap informer, folder scan), read by the HTTP
 * routes. Listeners hear only real changes: a source re-delivering the same settings (a resync, a
 * ConfigMap whose labels changed) notifies nobody.
 */
export class ConfigStore {
  private readonly entries = new Map<string, SourceEntry>();
  private readonly current = new Map<string, ServiceConfig>();
  private readonly listeners = new Map<string, Set<ConfigListener>>();

  get(service: string): ServiceConfig | undefined {
    return this.current.get(service);
  }

  services(): string[] {
    return [...this.current.keys()].sort();
  }

  upsert(entry: SourceEntry): void {
    const previous = this.entries.get(entry.id);
    this.entries.set(entry.id, { ...entry, settings: { ...entry.settings } });
    this.recompute(new Set([entry.service, ...(previous ? [previous.service] : [])]));
  }

  remove(id: string): void {
    const previous = this.entries.get(id);
    if (!previous) return;
    this.entries.delete(id);
    this.recompute(new Set([previous.service]));
  }

  /** Makes the entries exactly these (a full relist or rescan); notifies only what changed. */
  replaceAll(entries: SourceEntry[]): void {
    const affected = new Set<string>([...this.entries.values()].map((e) => e.service));
    this.entries.clear();
    for (const entry of entries) {
      this.entries.set(entry.id, { ...entry, settings: { ...entry.settings } });
      affected.add(entry.service);
    }
    this.recompute(affected);
  }

  subscribe(service: string, listener: ConfigListener): () => void {
    const set = this.listeners.get(service) ?? new Set();
    set.add(listener);
    this.listeners.set(service, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(service);
    };
  }

  listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  private recompute(services: Set<string>): void {
    for (const service of services) {
      const sources = [...this.entries.values()].filter((e) => e.service === service).sort((a, b) => (a.id < b.id ? -1 : 1));
      const before = this.current.get(service);
      let after: ServiceConfig | undefined;
      if (sources.length > 0) {
        const settings = Object.assign({}, ...sources.map((s) => s.settings)) as Record<string, string>;
        after = { service, settings, sources: sources.map((s) => s.id), etag: entityTag(service, settings) };
        this.current.set(service, after);
      } else {
        this.current.delete(service);
      }
      if (before?.etag === after?.etag) continue;
      for (const listener of [...(this.listeners.get(service) ?? [])]) listener(after);
    }
  }
}
