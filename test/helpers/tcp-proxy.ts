/**
 * A TCP relay between a client and a server on 127.0.0.1 that a test can stall (bytes are held, connections
 * stay open, as on a network partition) and cut (every connection is reset). TLS passes through unchanged.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface TcpProxy {
  port: number;
  /** Holds every byte in both directions until `resume`. */
  stall(): void;
  resume(): void;
  /** Destroys every open connection (new ones are accepted). */
  cutAll(): void;
  /** Connections accepted so far. */
  readonly accepted: number;
}

export async function startTcpProxy(t: TestContext, targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let stalled = false;
  let accepted = 0;
  /** What arrived while stalled, in order: bytes with where they were going, or a connection's end. */
  const held: (() => void)[] = [];
  const server = createServer((client) => {
    accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const close = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    const whenFlowing = (action: () => void): void => {
      if (stalled) held.push(action);
      else action();
    };
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('data', (chunk: Buffer) => whenFlowing(() => to.destroyed || to.write(chunk)));
      // A close is held too: while stalled the other side must not learn that its peer went away.
      from.on('error', () => whenFlowing(close)).on('close', () => whenFlowing(close));
    }
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const proxy: TcpProxy = {
    port: (server.address() as AddressInfo).port,
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const action of held.splice(0)) action();
    },
    cutAll: () => {
      held.length = 0;
      for (const [client, upstream] of [...pairs]) {
        client.resetAndDestroy();
        upstream.destroy();
      }
    },
    get accepted() {
      return accepted;
    },
  };
  t.after(() => {
    proxy.cutAll();
    server.close();
  });
  return proxy;
}
