/**
 * A plain-HTTP stand-in for an API server, played by the test's handler, and a kubeconfig (token `test-token`)
 * that points at it. Closed when the test ends.
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from './keys.ts';

export type StubHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** Starts the stub on a free 127.0.0.1 port; resolves the kubeconfig's path. */
export async function serveKubeStub(t: TestContext, handler: StubHandler): Promise<string> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const path = join(await tempDir(t), 'kubeconfig');
  const { port } = server.address() as AddressInfo;
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: test-token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
  );
  return path;
}
