/**
 * The loopback connection: HTTP into this process's API server over an in-memory stream pair, without TCP or
 * TLS, for a client that runs in the same process (`cloak up`'s operator). kube-apiserver gives its own
 * in-process clients a loopback configuration for the same reason. Requests still pass authentication,
 * authorization, admission and audit: only the socket and the encryption are skipped, which for small requests
 * are more than half of their cost (TLS alone about 100 µs per request and answer on this machine).
 */
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { duplexPair, type Duplex } from 'node:stream';

/** What requests through the loopback report as their client address (audit's sourceIPs, X-Forwarded-For). */
const LOOPBACK_ADDRESS = '127.0.0.1';

export class Loopback {
  readonly #server: Server;
  readonly #connections = new Set<Duplex>();
  #agent: Agent | undefined;
  #closed = false;

  constructor(handle: (request: IncomingMessage, response: ServerResponse) => void) {
    this.#server = createServer({ keepAliveTimeout: 0 }, handle);
  }

  /** The agent to send requests with (keep-alive: connections are reused, as with a network agent). */
  get agent(): Agent {
    this.#agent ??= new LoopbackAgent(() => this.#connect());
    return this.#agent;
  }

  /** Ends every loopback connection (watches included); later requests fail. */
  close(): void {
    this.#closed = true;
    this.#agent?.destroy();
    for (const connection of this.#connections) connection.destroy();
    this.#connections.clear();
  }

  #connect(): Duplex {
    if (this.#closed) throw new Error('the API server is closed');
    const [client, server] = duplexPair();
    this.#connections.add(server);
    server.once('close', () => this.#connections.delete(server));
    // The server's end ends with the client's: http.Server ends a connection whose reading side ended.
    client.once('close', () => server.destroy());
    this.#server.emit('connection', asSocket(server));
    return asSocket(client);
  }
}

/** An http.Agent whose connections are loopback stream pairs. */
class LoopbackAgent extends Agent {
  readonly #connect: () => Duplex;

  constructor(connect: () => Duplex) {
    super({ keepAlive: true });
    this.#connect = connect;
  }

  override createConnection(): Duplex {
    return this.#connect();
  }
}

/**
 * The socket methods node:http calls on its connections. An in-memory stream has no Nagle, keep-alive probes
 * or network to time out: they do nothing. (A client request's own timeout therefore never fires on it.)
 */
function asSocket(stream: Duplex): Duplex & Pick<Socket, 'remoteAddress'> {
  return Object.assign(stream, {
    remoteAddress: LOOPBACK_ADDRESS,
    setKeepAlive: () => stream,
    setNoDelay: () => stream,
    setTimeout: () => stream,
    ref: () => stream,
    unref: () => stream,
  });
}
