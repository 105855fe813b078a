/**
 * Metadata-only responses of `cloak dev cluster`, through raw requests as client-go's metadata client and the
 * operator's informer send them: GET → PartialObjectMetadata, LIST → PartialObjectMetadataList (JSON, protobuf,
 * v1beta1, paging), WATCH events and bookmarks carrying PartialObjectMetadata (JSON and length-delimited
 * protobuf), writes answered the same way, and kube's 406s. No Secret body may appear in any of them (the
 * last-applied annotation is metadata, and kube keeps it: the informer drops it, see test/operator).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDevCluster, kubectlOk, type DevCluster } from '../helpers/dev-cluster.ts';
import { rawClient } from '../helpers/raw-api.ts';
import { Reader } from '../../src/common/protobuf-wire.ts';

type Json = Record<string, unknown>;

const SECRETS = '/api/v1/namespaces/default/secrets';
const META = 'g=meta.k8s.io;v=v1';
const LIST_JSON = `application/json;as=PartialObjectMetadataList;${META},application/json`;
const LIST_PROTOBUF = `application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;${META},${LIST_JSON}`;
const ONE_JSON = `application/json;as=PartialObjectMetadata;${META},application/json`;
const ONE_PROTOBUF = `application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;${META},${ONE_JSON}`;
const VALUE = 'metadata-test-plaintext-value';
const VALUE_B64 = Buffer.from(VALUE).toString('base64');

function assertNoValue(text: string | Buffer, where: string): void {
  const body = Buffer.isBuffer(text) ? text : Buffer.from(text);
  assert.ok(!body.includes(VALUE), `${where} carries the plaintext`);
  assert.ok(!body.includes(VALUE_B64), `${where} carries the base64 value`);
}

/** A streaming GET (a watch): resolves with the response once the headers are in. */
async function stream(cluster: DevCluster, path: string, accept: string): Promise<IncomingMessage> {
  const ca = await readFile(join(cluster.dataDir, 'pki', 'ca.crt'), 'utf8');
  const token = (await readFile(join(cluster.dataDir, 'admin.token'), 'utf8')).trim();
  const base = new URL(cluster.url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: base.hostname,
        port: base.port,
        path,
        ca,
        headers: { Authorization: `Bearer ${token}`, Accept: accept },
      },
      resolve,
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Reads newline-delimited JSON watch events until `count` arrived. */
async function jsonEvents(response: IncomingMessage, count: number): Promise<Json[]> {
  const events: Json[] = [];
  let buffered = '';
  for await (const chunk of response) {
    buffered += (chunk as Buffer).toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buffered.slice(0, newline)) as Json);
      buffered = buffered.slice(newline + 1);
    }
    if (events.length >= count) break;
  }
  response.destroy();
  return events;
}

/** Reads length-prefixed protobuf frames until `count` arrived. */
async function protobufFrames(response: IncomingMessage, count: number): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  let buffered = Buffer.alloc(0);
  for await (const chunk of response) {
    buffered = Buffer.concat([buffered, chunk as Buffer]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const length = buffered.readUInt32BE(0);
      frames.push(buffered.subarray(4, 4 + length));
      buffered = buffered.subarray(4 + length);
    }
    if (frames.length >= count) break;
  }
  response.destroy();
  return frames;
}

/** Protobuf fields by number (the wire format only, no descriptors). */
function fields(bytes: Uint8Array): Map<number, Uint8Array[]> {
  const reader = new Reader(bytes, 0, bytes.length, 'M');
  const out = new Map<number, Uint8Array[]>();
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    if (field.wireType !== 2) {
      reader.skip(field);
      continue;
    }
    out.set(field.number, [...(out.get(field.number) ?? []), reader.bytes(field, 'f')]);
  }
  return out;
}

function one(map: Map<number, Uint8Array[]>, number: number): Uint8Array {
  const value = map.get(number)?.[0];
  assert.ok(value, `field ${number}`);
  return value;
}

const utf8 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** `k8s\0` + runtime.Unknown → [apiVersion, kind, raw]. */
function envelope(bytes: Uint8Array): [string, string, Uint8Array] {
  assert.equal(Buffer.from(bytes.subarray(0, 4)).toString('latin1'), 'k8s\0');
  const unknown = fields(bytes.subarray(4));
  const typeMeta = fields(one(unknown, 1));
  return [utf8(one(typeMeta, 1)), utf8(one(typeMeta, 2)), one(unknown, 2)];
}

test('metadata-only responses', async (t) => {
  const cluster = await startDevCluster(t, { extraArgs: ['--bookmark-interval', '200ms'] });
  const api = await rawClient(cluster);
  // Client-side apply keeps a full copy in the last-applied annotation, which a real server keeps too.
  const manifest = (name: string): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: 'default', labels: { app: 'meta' } },
      stringData: { password: VALUE },
    });
  await kubectlOk(cluster, ['apply', '-f', '-'], manifest('m-1'));
  for (const name of ['m-2', 'm-3'])
    assert.equal((await api.send('POST', SECRETS, { body: manifest(name) })).status, 201);

  await t.test(
    'GET as PartialObjectMetadata keeps ObjectMeta (last-applied too), drops the body',
    async () => {
      const response = await api.send('GET', `${SECRETS}/m-1`, { accept: ONE_JSON });
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      const body = response.json();
      assert.deepEqual(Object.keys(body), ['kind', 'apiVersion', 'metadata']);
      assert.equal(body['kind'], 'PartialObjectMetadata');
      assert.equal(body['apiVersion'], 'meta.k8s.io/v1');
      const metadata = body['metadata'] as Json;
      assert.equal(metadata['name'], 'm-1');
      assert.deepEqual(metadata['labels'], { app: 'meta' });
      const annotations = metadata['annotations'] as Record<string, string>;
      assert.ok(annotations['kubectl.kubernetes.io/last-applied-configuration']?.includes(VALUE));
      assert.ok(Array.isArray(metadata['managedFields']));
      assert.ok(!('data' in body) && !('type' in body));
      const beta = await api.send('GET', `${SECRETS}/m-1`, {
        accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1',
      });
      assert.equal(beta.json()['apiVersion'], 'meta.k8s.io/v1beta1');
    },
  );

  await t.test('LIST as PartialObjectMetadataList, paged, in JSON and protobuf', async () => {
    const first = await api.send('GET', `${SECRETS}?labelSelector=app%3Dmeta&limit=2`, { accept: LIST_JSON });
    assert.equal(first.status, 200);
    const page = first.json();
    assert.equal(page['kind'], 'PartialObjectMetadataList');
    assert.equal(page['apiVersion'], 'meta.k8s.io/v1');
    const listMeta = page['metadata'] as Json;
    assert.match(String(listMeta['resourceVersion']), /^\d+$/);
    assert.equal(typeof listMeta['continue'], 'string');
    const items = page['items'] as Json[];
    assert.deepEqual(
      items.map((item) => [item['kind'], (item['metadata'] as Json)['name']]),
      [
        ['PartialObjectMetadata', 'm-1'],
        ['PartialObjectMetadata', 'm-2'],
      ],
    );
    for (const item of items) assert.deepEqual(Object.keys(item), ['kind', 'apiVersion', 'metadata']);
    assertNoValue(JSON.stringify(items[1]), 'm-2 in the list');
    const next = await api.send(
      'GET',
      `${SECRETS}?labelSelector=app%3Dmeta&limit=2&continue=${encodeURIComponent(String(listMeta['continue']))}`,
      { accept: LIST_JSON },
    );
    assert.deepEqual(
      (next.json()['items'] as Json[]).map((item) => (item['metadata'] as Json)['name']),
      ['m-3'],
    );

    const protobuf = await api.send('GET', `${SECRETS}?labelSelector=app%3Dmeta`, { accept: LIST_PROTOBUF });
    assert.equal(protobuf.status, 200);
    assert.equal(protobuf.headers['content-type'], 'application/vnd.kubernetes.protobuf');
    const [apiVersion, kind, raw] = envelope(protobuf.bytes);
    assert.deepEqual([apiVersion, kind], ['meta.k8s.io/v1', 'PartialObjectMetadataList']);
    const list = fields(raw);
    assert.match(utf8(one(fields(one(list, 1)), 2)), /^\d+$/, 'ListMeta.resourceVersion');
    const names = (list.get(2) ?? []).map((item) => utf8(one(fields(one(fields(item), 1)), 1)));
    assert.deepEqual(names, ['m-1', 'm-2', 'm-3']);
    assert.ok(!protobuf.bytes.includes(VALUE_B64), 'no data item in the protobuf list');
  });

  await t.test("kube's 406s: the wrong shape, and only unsupported transformations", async () => {
    const cases: [string, string, string][] = [
      [
        `${SECRETS}/m-1`,
        `application/json;as=PartialObjectMetadataList;${META}`,
        'you requested PartialObjectMetadataList, but the requested object is not a list (*core.Secret)',
      ],
      [
        SECRETS,
        `application/json;as=PartialObjectMetadata;${META}`,
        'you requested PartialObjectMetadata, but the requested object is a list (*core.SecretList)',
      ],
      [
        SECRETS,
        `application/json;as=Widget;${META}`,
        'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      ],
    ];
    for (const [path, accept, message] of cases) {
      const response = await api.send('GET', path, { accept });
      assert.equal(response.status, 406, accept);
      assert.deepEqual(response.json(), {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason: 'NotAcceptable',
        code: 406,
      });
    }
    // Negotiated before any work: a create that nothing acceptable can answer stores nothing.
    const refused = await api.send('POST', SECRETS, {
      body: manifest('never'),
      accept: `application/json;as=Widget;${META}`,
    });
    assert.equal(refused.status, 406);
    assert.equal((await api.send('GET', `${SECRETS}/never`)).status, 404);
  });

  await t.test('writes answer with PartialObjectMetadata too; a Status stays a Status', async () => {
    const patched = await api.send('PATCH', `${SECRETS}/m-2`, {
      body: JSON.stringify({ metadata: { labels: { patched: 'yes' } } }),
      contentType: 'application/merge-patch+json',
      accept: ONE_JSON,
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.json()['kind'], 'PartialObjectMetadata');
    assert.equal(((patched.json()['metadata'] as Json)['labels'] as Json)['patched'], 'yes');
    const deleted = await api.send('DELETE', `${SECRETS}/m-3`, { accept: ONE_JSON });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.json()['kind'], 'Status');
  });

  await t.test('WATCH: events and bookmarks carry PartialObjectMetadata (JSON)', async () => {
    const listed = await api.send('GET', SECRETS, { accept: LIST_JSON });
    const from = String((listed.json()['metadata'] as Json)['resourceVersion']);
    const response = await stream(
      cluster,
      `${SECRETS}?watch=1&allowWatchBookmarks=true&resourceVersion=${from}`,
      `application/json;as=PartialObjectMetadata;${META},application/json`,
    );
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/json');
    const collected = jsonEvents(response, 3);
    assert.equal((await api.send('POST', SECRETS, { body: manifest('w-1') })).status, 201);
    assert.equal((await api.send('DELETE', `${SECRETS}/w-1`)).status, 200);
    const events = await collected;
    assertNoValue(JSON.stringify(events), 'watch events');
    const changes = events.filter((event) => event['type'] !== 'BOOKMARK');
    assert.deepEqual(
      changes.map((event) => event['type']),
      ['ADDED', 'DELETED'],
    );
    assert.ok(events.some((event) => event['type'] === 'BOOKMARK'));
    for (const event of events) {
      const object = event['object'] as Json;
      assert.equal(object['kind'], 'PartialObjectMetadata', JSON.stringify(event['type']));
      assert.equal(object['apiVersion'], 'meta.k8s.io/v1');
      assert.deepEqual(Object.keys(object), ['kind', 'apiVersion', 'metadata']);
    }
    assert.equal(((changes[0]?.['object'] as Json)['metadata'] as Json)['name'], 'w-1');
  });

  await t.test('WATCH in protobuf: length-prefixed WatchEvents whose objects are enveloped', async () => {
    const response = await stream(cluster, `${SECRETS}?watch=1&labelSelector=app%3Dmeta`, ONE_PROTOBUF);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/vnd.kubernetes.protobuf;stream=watch');
    const frames = await protobufFrames(response, 2); // m-1 and m-2 replayed as ADDED
    for (const frame of frames) {
      assert.ok(!frame.includes(VALUE_B64), 'no data item in a frame');
      const event = fields(frame);
      assert.equal(utf8(one(event, 1)), 'ADDED');
      const [apiVersion, kind, raw] = envelope(one(fields(one(event, 2)), 1));
      assert.deepEqual([apiVersion, kind], ['meta.k8s.io/v1', 'PartialObjectMetadata']);
      assert.match(utf8(one(fields(one(fields(raw), 1)), 1)), /^m-[12]$/);
    }
  });

  await t.test('whole objects and Tables are unchanged', async () => {
    const whole = await api.send('GET', `${SECRETS}/m-1`, { accept: 'application/json' });
    assert.equal(whole.json()['kind'], 'Secret');
    assert.equal((whole.json()['data'] as Json)['password'], VALUE_B64);
    const out = await kubectlOk(cluster, ['get', 'secrets', '-l', 'app=meta']);
    assert.match(out, /^NAME\s+TYPE\s+DATA\s+AGE\n/);
  });
});
