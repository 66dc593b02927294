import { createServer, type OutgoingHttpHeaders, type RequestListener } from 'node:http';
import { Duplex, Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '@eventline/observability';
import { requestRaw, type RawAnswer } from '@eventline/testkit';

/** A pino logger whose lines are kept in memory, parsed, for assertions on what was logged. */
export function memoryLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug', base: { service: 'test' } }, sink), lines };
}

/**
 * One end of an in-memory connection: what is written to it is read from its peer. It has the few
 * net.Socket members node:http calls (an idle timeout included, so that a request nobody answers
 * times out as it would on a socket), so that real HTTP/1.1 is spoken without binding a port.
 */
class MemorySocket extends Duplex {
  peer: MemorySocket | undefined;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 40000;
  readonly remoteFamily = 'IPv4';
  readonly localAddress = '127.0.0.1';
  readonly localPort = 80;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.active();
    this.peer?.receive(chunk);
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.peer?.receive(null);
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    clearTimeout(this.idleTimer);
    const peer = this.peer;
    this.peer = undefined;
    if (peer && !peer.destroyed) peer.destroy();
    done(error);
  }

  private receive(chunk: Buffer | null): void {
    this.active();
    this.push(chunk);
  }

  /** Restarts the idle timer, as traffic does on a net.Socket. */
  private active(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idleMs > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), this.idleMs);
      this.idleTimer.unref();
    }
  }

  setTimeout(ms: number, callback?: () => void): this {
    if (callback) {
      if (ms === 0) this.off('timeout', callback);
      else this.once('timeout', callback);
    }
    this.idleMs = ms;
    this.active();
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: 'IPv4', port: this.localPort };
  }
}

export type Answer = RawAnswer;

export interface SendOptions {
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string;
}

/**
 * A node:http server that never listens: each connection is an in-memory stream pair handed to it,
 * so unit tests drive a Koa app (or a fake upstream) over real HTTP/1.1 without a port or a socket.
 */
export interface MemoryServer {
  /** One request on a connection of its own; resolves with the whole answer. */
  send(method: string, path: string, options?: SendOptions): Promise<Answer>;
  /** A new connection to this server: the client's end (for the createConnection of a client under test's http.Agent). */
  connect(): Duplex;
}

export function memoryServer(listener: RequestListener): MemoryServer {
  const server = createServer(listener);
  const connect = (): MemorySocket => {
    const client = new MemorySocket();
    const serverSide = new MemorySocket();
    client.peer = serverSide;
    serverSide.peer = client;
    server.emit('connection', serverSide);
    return client;
  };

  function send(method: string, path: string, options: SendOptions = {}): Promise<Answer> {
    return requestRaw({ method, path, headers: { host: 'memory.test', ...options.headers }, createConnection: connect }, options.body);
  }

  return { send, connect };
}

/** The parsed JSON body of an answer. */
export const jsonOf = (answer: Answer): unknown => JSON.parse(answer.body.toString('utf8'));
