/** The floor of the API server benchmark: a bare node:http server answering every request with a fixed JSON body. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({
  kind: 'Secret',
  apiVersion: 'v1',
  metadata: {
    name: 'bench-0',
    namespace: 'default',
    uid: '00000000-0000-0000-0000-000000000000',
    resourceVersion: '1',
    creationTimestamp: '2026-01-01T00:00:00Z',
  },
  data: { username: 'dXNlci0w', password: 'cGFzc3dvcmQtMC14eHh4eHh4eHh4eHh4eHh4' },
  type: 'Opaque',
});

const server = createServer({ keepAliveTimeout: 65_000 }, (_request, response) => {
  response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
