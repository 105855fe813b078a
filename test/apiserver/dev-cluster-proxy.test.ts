/**
 * Endpoints, EndpointSlices and the service proxy of `cloak dev cluster`: the resources through the real
 * kubectl (apply, get columns, api-resources, validation), then `services/{id}/proxy/…` through kubectl get --raw
 * and raw requests to small HTTP and HTTPS servers registered through Endpoints on 127.0.0.1: what the backend
 * receives (method, path, query, body, headers without credentials), what comes back (status, headers,
 * streaming, redirects), kube's errors, and RBAC on `services/proxy`.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { kubectlOk, startDevCluster } from '../helpers/dev-cluster.ts';
import { rawClient } from '../helpers/raw-api.ts';
import { testTls } from '../helpers/test-tls.ts';

type Json = Record<string, unknown>;

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A backend that echoes what it received as JSON, with a few special paths. */
function echo(seen: Seen[], release: { first?: () => void; waitForClient?: Promise<void> }) {
  return (incoming: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request: Seen = {
        method: incoming.method ?? '',
        url: incoming.url ?? '',
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(request);
      if (request.url === '/redirect') {
        response.writeHead(302, { Location: '/login?next=1' });
        response.end();
        return;
      }
      if (request.url === '/stream') {
        response.writeHead(200, { 'Content-Type': 'text/plain' });
        response.write('first\n');
        release.first?.();
        void release.waitForClient?.then(() => response.end('second\n'));
        return;
      }
      response.writeHead(207, {
        'Content-Type': 'application/json',
        'X-Backend': 'echo',
        'Access-Control-Allow-Origin': '*',
      });
      response.end(JSON.stringify({ method: request.method, url: request.url, body: request.body }));
    });
  };
}

async function listen(
  t: TestContext,
  server: ReturnType<typeof createHttpServer> | ReturnType<typeof createHttpsServer>,
): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on (opened, then closed). */
async function closedPort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const PROXY = '/api/v1/namespaces/default/services';

test('Endpoints, EndpointSlices and the service proxy', async (t) => {
  const cluster = await startDevCluster(t);
  const api = await rawClient(cluster);
  const seen: Seen[] = [];
  let firstSent!: () => void;
  const firstChunk = new Promise<void>((resolve) => (firstSent = resolve));
  let clientGotFirst!: () => void;
  const clientReady = new Promise<void>((resolve) => (clientGotFirst = resolve));
  const httpPort = await listen(
    t,
    createHttpServer(echo(seen, { first: () => firstSent(), waitForClient: clientReady })),
  );
  const tls = await testTls();
  const httpsPort = await listen(
    t,
    createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, echo(seen, {})),
  );
  const deadPort = await closedPort();

  const manifests = `
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: tls, port: 443, targetPort: 8443}
---
apiVersion: v1
kind: Endpoints
metadata: {name: echo}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports:
  - {name: http, port: ${httpPort}}
  - {name: tls, port: ${httpsPort}}
---
apiVersion: v1
kind: Service
metadata: {name: sliced}
spec:
  ports: [{port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: sliced-abcde
  labels: {kubernetes.io/service-name: sliced}
addressType: IPv4
endpoints:
- addresses: [127.0.0.2]
  conditions: {ready: false}
- addresses: [127.0.0.1]
  conditions: {ready: true}
ports: [{port: ${httpPort}}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: empty}
---
apiVersion: v1
kind: Endpoints
metadata: {name: dead}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports: [{port: ${deadPort}}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: remote}
subsets:
- addresses: [{ip: 192.0.2.10}]
  ports: [{port: 80}]
`;

  await t.test('kubectl: apply, get with kube columns, api-resources, validation', async () => {
    await kubectlOk(cluster, ['apply', '-f', '-'], manifests);
    const endpoints = await kubectlOk(cluster, ['get', 'ep', 'echo', 'empty']);
    assert.match(endpoints, /^NAME\s+ENDPOINTS\s+AGE\n/);
    assert.match(
      endpoints,
      new RegExp(`\\necho\\s+127\\.0\\.0\\.1:${httpPort},127\\.0\\.0\\.1:${httpsPort}\\s+\\d+s\\n`),
    );
    assert.match(endpoints, /\nempty\s+<none>\s+\d+s\n/);
    const slices = await kubectlOk(cluster, ['get', 'endpointslices']);
    assert.match(slices, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n/);
    assert.match(
      slices,
      new RegExp(`\\nsliced-abcde\\s+IPv4\\s+${httpPort}\\s+127\\.0\\.0\\.2,127\\.0\\.0\\.1\\s+\\d+s\\n`),
    );
    const resources = await kubectlOk(cluster, ['api-resources', '--no-headers']);
    assert.match(resources, /^endpoints\s+ep\s+v1\s+true\s+Endpoints$/m);
    assert.match(resources, /^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m);
    const defaulted = JSON.parse(await kubectlOk(cluster, ['get', 'ep', 'echo', '-o', 'json'])) as Json;
    assert.deepEqual((defaulted['subsets'] as Json[])[0]?.['ports'], [
      { name: 'http', port: httpPort, protocol: 'TCP' },
      { name: 'tls', port: httpsPort, protocol: 'TCP' },
    ]);
    const bad = await cluster.kubectl(
      ['apply', '-f', '-'],
      'apiVersion: v1\nkind: Endpoints\nmetadata: {name: bad}\nsubsets:\n- addresses: [{ip: 0.0.0.0}]\n',
    );
    assert.notEqual(bad.code, 0);
    assert.match(
      bad.stderr,
      /Endpoints "bad" is invalid: subsets\[0\]\.addresses\[0\]\.ip: Invalid value: "0\.0\.0\.0": may not be unspecified \(0\.0\.0\.0\)/,
    );
  });

  await t.test('kubectl get --raw through every id form', async () => {
    for (const id of ['echo:80', 'echo:http', 'http:echo:http', 'http:echo:80']) {
      const out = await kubectlOk(cluster, ['get', '--raw', `${PROXY}/${id}/proxy/hello/world?x=1&y=two`]);
      assert.deepEqual(JSON.parse(out), { method: 'GET', url: '/hello/world?x=1&y=two', body: '' }, id);
    }
    const secure = await kubectlOk(cluster, ['get', '--raw', `${PROXY}/https:echo:tls/proxy/secure`]);
    assert.equal((JSON.parse(secure) as Json)['url'], '/secure', 'TLS to a backend whose CA is unknown');
    const sliced = await kubectlOk(cluster, ['get', '--raw', `${PROXY}/sliced/proxy/from-slice`]);
    assert.equal((JSON.parse(sliced) as Json)['url'], '/from-slice', 'the ready slice endpoint');
  });

  await t.test(
    'every method, the body, and headers without credentials; status and headers back',
    async () => {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        seen.length = 0;
        const response = await api.send(method, `${PROXY}/echo:http/proxy/api/items/1?dry=true`, {
          body: `{"method":"${method}"}`,
          contentType: 'application/json',
          headers: {
            'X-Custom': 'kept',
            'Impersonate-User': 'someone',
            'Impersonate-Group': 'system:masters',
          },
        });
        assert.equal(response.status, 207, method);
        assert.equal(response.headers['x-backend'], 'echo');
        assert.equal(response.headers['access-control-allow-origin'], undefined, 'CORS headers are removed');
        assert.deepEqual(response.json(), {
          method,
          url: '/api/items/1?dry=true',
          body: `{"method":"${method}"}`,
        });
        const received = seen[0];
        assert.ok(received);
        assert.equal(
          received.headers['authorization'],
          undefined,
          'the bearer token stays with the API server',
        );
        assert.equal(received.headers['x-custom'], 'kept');
        assert.equal(received.headers['content-type'], 'application/json');
        assert.equal(received.headers['x-forwarded-uri'], `${PROXY}/echo:http/proxy/api/items/1`);
        assert.equal(received.headers['x-forwarded-for'], '127.0.0.1');
        assert.ok(!Object.keys(received.headers).some((name) => name.startsWith('impersonate-')));
      }
    },
  );

  await t.test(
    'redirects: an empty path goes to …/proxy/, a backend redirect stays behind the proxy',
    async () => {
      const bare = await api.send('GET', `${PROXY}/echo:http/proxy?a=b`);
      assert.equal(bare.status, 301);
      assert.equal(bare.headers['location'], `${PROXY}/echo:http/proxy/?a=b`);
      const redirected = await api.send('GET', `${PROXY}/echo:http/proxy/redirect`);
      assert.equal(redirected.status, 302);
      assert.equal(redirected.headers['location'], `${PROXY}/echo:http/proxy/login?next=1`);
    },
  );

  await t.test('the answer is streamed, not buffered', async () => {
    const ca = await readFile(join(cluster.dataDir, 'pki', 'ca.crt'), 'utf8');
    const token = (await readFile(join(cluster.dataDir, 'admin.token'), 'utf8')).trim();
    const base = new URL(cluster.url);
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = request(
        {
          host: base.hostname,
          port: base.port,
          path: `${PROXY}/echo:http/proxy/stream`,
          ca,
          headers: { Authorization: `Bearer ${token}` },
        },
        resolve,
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
    await firstChunk;
    let text = '';
    for await (const chunk of response) {
      text += (chunk as Buffer).toString('utf8');
      // The backend ends only after this client has seen the first line through the proxy.
      if (text === 'first\n') clientGotFirst();
    }
    assert.equal(text, 'first\nsecond\n');
  });

  await t.test("kube's errors", async () => {
    const cases: [string, number, string, string][] = [
      ['nope:80', 404, 'NotFound', 'services "nope" not found'],
      ['nope', 404, 'NotFound', 'endpoints "nope" not found'],
      ['echo:81', 503, 'ServiceUnavailable', 'no service port 81 found for service "echo"'],
      ['echo:metrics', 503, 'ServiceUnavailable', 'no endpoints available for service "echo:metrics"'],
      ['empty', 503, 'ServiceUnavailable', 'no endpoints available for service "empty"'],
      [
        'dead',
        503,
        'ServiceUnavailable',
        `error trying to reach service: dial tcp 127.0.0.1:${deadPort}: connect: connection refused`,
      ],
      [
        'remote',
        503,
        'ServiceUnavailable',
        'no endpoints available for service "remote": the local control plane proxies only to loopback ' +
          "addresses (127.0.0.0/8, ::1), and the service's endpoints are elsewhere (192.0.2.10)",
      ],
      ['ftp:echo:80', 400, 'BadRequest', 'invalid service request "ftp:echo:80"'],
    ];
    for (const [id, code, reason, message] of cases) {
      const response = await api.send('GET', `${PROXY}/${id}/proxy/x`);
      assert.equal(response.status, code, id);
      assert.deepEqual(
        { reason: response.json()['reason'], message: response.json()['message'] },
        { reason, message },
        id,
      );
    }
    const kubectl = await cluster.kubectl(['get', '--raw', `${PROXY}/empty/proxy/`]);
    assert.notEqual(kubectl.code, 0);
    assert.match(
      kubectl.stderr,
      /Error from server \(ServiceUnavailable\): no endpoints available for service "empty"/,
    );
    const other = await api.send('GET', '/api/v1/namespaces/default/secrets/x/proxy/y');
    assert.equal(other.status, 404, 'only services have the proxy subresource');
  });

  await t.test('RBAC: services/proxy with the verb of the method', async () => {
    const as = { 'Impersonate-User': 'proxy-user' };
    const denied = await api.send('GET', `${PROXY}/echo:http/proxy/x`, { headers: as });
    assert.equal(denied.status, 403);
    assert.equal(
      denied.json()['message'],
      'services "echo:http" is forbidden: User "proxy-user" cannot get resource "services/proxy" in API group "" in the namespace "default"',
    );
    await kubectlOk(cluster, [
      'create',
      'role',
      'proxy-get',
      '--verb=get',
      '--resource=services/proxy',
      '--resource-name=echo:http',
    ]);
    await kubectlOk(cluster, ['create', 'rolebinding', 'proxy-get', '--role=proxy-get', '--user=proxy-user']);
    let allowed = denied;
    for (let i = 0; i < 100 && allowed.status !== 207; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      allowed = await api.send('GET', `${PROXY}/echo:http/proxy/x`, { headers: as });
    }
    assert.equal(allowed.status, 207);
    const post = await api.send('POST', `${PROXY}/echo:http/proxy/x`, { headers: as, body: '{}' });
    assert.equal(post.status, 403);
    assert.match(String(post.json()['message']), /cannot create resource "services\/proxy"/);
    const otherName = await api.send('GET', `${PROXY}/echo:80/proxy/x`, { headers: as });
    assert.equal(otherName.status, 403, 'resourceNames match the whole id, as in kube');
  });
});
