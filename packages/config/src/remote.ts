/**
 * The client of config-service: loads a service's settings at start, then follows its watch stream
 * (server-sent events) and reports every change. When config-service cannot be reached the service
 * runs on what it has (its environment at first) and the client keeps trying with backoff.
 */
import { Backoff } from '@eventline/observability';

export type RemoteSettings = Record<string, string>;

export interface RemoteConfigLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface RemoteConfigOptions {
  /** config-service's base URL, e.g. http://config-service:8094. */
  baseUrl: string;
  service: string;
  logger: RemoteConfigLogger;
  /** How long start() waits for the first answer before going on without it. Default 5000. */
  initialTimeoutMs?: number;
  /** Reconnect backoff bounds. Defaults 500 and 15000. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export type RemoteChangeListener = (settings: RemoteSettings, previous: RemoteSettings) => void;

interface ConfigView {
  settings: RemoteSettings;
  version: string;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** Splits a text/event-stream into events; `feed` takes chunks, returns complete events. */
export class EventStreamParser {
  private buffer = '';

  feed(chunk: string): Array<{ event: string; data: string; id?: string }> {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const events: Array<{ event: string; data: string; id?: string }> = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      if (data.length > 0 || event !== 'message') events.push({ event, data: data.join('\n'), id });
    }
    return events;
  }
}

export class RemoteConfig {
  private current: RemoteSettings = {};
  private version: string | undefined;
  private readonly listeners: RemoteChangeListener[] = [];
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private connected = false;

  constructor(private readonly options: RemoteConfigOptions) {}

  /** The latest settings from config-service ({} until the first answer, or when it has none). */
  settings(): RemoteSettings {
    return { ...this.current };
  }

  /** The watch stream is open. */
  isConnected(): boolean {
    return this.connected;
  }

  onChange(listener: RemoteChangeListener): void {
    this.listeners.push(listener);
  }

  /** One GET (bounded by initialTimeoutMs), then the watch in the background. */
  async start(): Promise<void> {
    const { baseUrl, service, logger } = this.options;
    const url = `${baseUrl.replace(/\/$/, '')}/config/${encodeURIComponent(service)}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.initialTimeoutMs ?? 5000) });
      if (response.status === 200) this.accept((await response.json()) as ConfigView);
      else if (response.status === 404) await response.body?.cancel();
      else throw new Error(`GET ${url} answered ${response.status}`);
      logger.info({ service, version: this.version ?? null }, 'loaded settings from config-service');
    } catch (error) {
      logger.warn({ err: error, url }, 'config-service not reachable at start; running on the environment, will keep trying');
    }
    this.loop = this.watch();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private accept(view: ConfigView | undefined): void {
    const next = view?.settings ?? {};
    const version = view?.version;
    if (version === this.version) return;
    const previous = this.current;
    this.current = { ...next };
    this.version = version;
    for (const listener of this.listeners) listener(this.settings(), previous);
  }

  private async watch(): Promise<void> {
    const { baseUrl, service, logger } = this.options;
    const url = `${baseUrl.replace(/\/$/, '')}/config/${encodeURIComponent(service)}/watch`;
    const backoff = new Backoff({ initialMs: this.options.retryMinMs ?? 500, maxMs: this.options.retryMaxMs ?? 15_000 });
    while (!this.abort.signal.aborted) {
      try {
        const response = await fetch(url, { signal: this.abort.signal, headers: { accept: 'text/event-stream' } });
        if (response.status !== 200 || !response.body) throw new Error(`GET ${url} answered ${response.status}`);
        this.connected = true;
        backoff.reset();
        const parser = new EventStreamParser();
        const decoder = new TextDecoder();
        for await (const chunk of response.body) {
          for (const event of parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }))) {
            if (event.event === 'config') this.accept(JSON.parse(event.data) as ConfigView);
            else if (event.event === 'absent') this.accept(undefined);
          }
        }
        throw new Error('the watch stream ended');
      } catch (error) {
        this.connected = false;
        if (this.abort.signal.aborted) return;
        const delay = backoff.next();
        logger.warn({ err: error instanceof Error ? error.message : String(error), retryInMs: delay }, 'config-service watch interrupted; reconnecting');
        await sleep(delay, this.abort.signal);
      }
    }
  }
}
