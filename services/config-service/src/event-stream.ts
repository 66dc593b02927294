import { PassThrough } from 'node:stream';
import type { Context } from 'koa';

/** One open server-sent-events response. */
export interface EventStream {
  send(event: string, data: unknown, id?: string): void;
  close(): void;
  readonly closed: Promise<void>;
}

/** Turns the response into a text/event-stream kept open until the client leaves or close() is called. */
export function openEventStream(ctx: Context, heartbeatMs: number): EventStream {
  const body = new PassThrough();
  const socket = ctx.req.socket;
  socket.setTimeout(0);
  socket.setNoDelay(true);
  ctx.status = 200;
  ctx.set('Content-Type', 'text/event-stream; charset=utf-8');
  ctx.set('Cache-Control', 'no-cache');
  // ingress-nginx and other proxies buffer responses unless told otherwise.
  ctx.set('X-Accel-Buffering', 'no');
  ctx.body = body;

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const heartbeat = setInterval(() => body.write(': heartbeat\n\n'), heartbeatMs);
  const finish = () => {
    clearInterval(heartbeat);
    resolveClosed();
  };
  ctx.req.once('close', finish);
  body.once('close', finish);

  return {
    send(event, data, id) {
      if (body.writableEnded) return;
      const lines = [`event: ${event}`];
      if (id) lines.push(`id: ${id}`);
      lines.push(`data: ${JSON.stringify(data)}`);
      body.write(`${lines.join('\n')}\n\n`);
    },
    close() {
      body.end();
      finish();
    },
    closed,
  };
}

/**
 * The open streams of a service. closeAll() ends them and refuses new ones: a client reconnecting
 * over a kept-alive connection while the service drains would otherwise hold the drain open.
 */
export class EventStreams {
  private readonly open = new Set<EventStream>();
  private closing = false;

  constructor(private readonly heartbeatMs: number) {}

  /** Undefined once closeAll() has run. */
  start(ctx: Context): EventStream | undefined {
    if (this.closing) return undefined;
    const stream = openEventStream(ctx, this.heartbeatMs);
    this.open.add(stream);
    void stream.closed.then(() => this.open.delete(stream));
    return stream;
  }

  closeAll(): void {
    this.closing = true;
    for (const stream of this.open) stream.close();
  }

  get size(): number {
    return this.open.size;
  }
}
