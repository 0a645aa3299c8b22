import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Lets keep-alive clients leave a draining instance without a reset. From `begin()` on, every
 * response not yet started, those of requests already in flight included, carries
 * `Connection: close`: each connection then ends after its current answer, and the client's next
 * request opens a new connection, which the load balancer sends to a ready instance. Without it,
 * a response sent while closing says keep-alive, and the server must later close that connection
 * under a client that may be writing its next request on it (a reset, for a POST no client can
 * safely retry). Costs nothing per request until `begin()`; tracks sockets per connection only.
 */
export class ConnectionDrain {
  private readonly sockets = new Set<Socket>();
  private draining = false;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  begin(): void {
    if (this.draining) return;
    this.draining = true;
    // Before fastify's own listener, so the header is set before any handler can answer.
    this.server.prependListener('request', (_request, response: ServerResponse) => closeAfter(response));
    for (const socket of this.sockets) {
      const response = answering(socket);
      if (response) closeAfter(response);
    }
  }

  /** Requests being answered now: one per connection with a response under way (no pipelining here). */
  inFlight(): number {
    let count = 0;
    for (const socket of this.sockets) if (answering(socket)) count++;
    return count;
  }
}

function closeAfter(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('connection', 'close');
}

/** The response a connection is writing: node:http keeps it on the socket until it finishes. */
function answering(socket: Socket): ServerResponse | null {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
}
