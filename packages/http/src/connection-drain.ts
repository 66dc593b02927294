import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The server's connections and how many requests each has in flight, so that a stopping server closes
 * every connection as soon as it has nothing in flight. Node's own closeIdleConnections() goes by its
 * parser's view of "idle", which misses some keep-alive connections (seen: after a client cancelled a
 * server-sent-events response on a reused connection); each of those held server.close() for the whole
 * keep-alive timeout. It also ends, once its response is done, a connection whose headers went out
 * before the stop began (an event stream ended by a drain hook) and so could not say `Connection: close`.
 */
export class ConnectionDrain {
  private readonly inFlight = new Map<Socket, number>();
  private draining = false;

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      this.inFlight.set(socket, 0);
      socket.once('close', () => this.inFlight.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
      this.inFlight.set(socket, (this.inFlight.get(socket) ?? 0) + 1);
      response.once('close', () => {
        const left = (this.inFlight.get(socket) ?? 1) - 1;
        this.inFlight.set(socket, left);
        // end(), not destroy(): the response's last bytes may still be in the socket's buffer.
        if (this.draining && left === 0) socket.end();
      });
    });
  }

  /** From now on every connection closes once nothing is in flight on it; those idle now close at once. */
  closeIdle(): void {
    this.draining = true;
    for (const [socket, count] of this.inFlight) if (count === 0) socket.destroy();
  }
}
