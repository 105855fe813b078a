/**
 * Bad input gets kube-apiserver's HTTP status and reason, and stores nothing. Each case sends the raw request a
 * client would, then checks the Status body and that the collection is unchanged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDevCluster } from '../helpers/dev-cluster.ts';
import { rawClient, type RawResponse } from '../helpers/raw-api.ts';

const SECRETS = '/api/v1/namespaces/default/secrets';

function secretBody(name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    data: { a: 'Yg==' },
    ...extra,
  });
}

function assertStatus(response: RawResponse, code: number, reason: string, message?: RegExp): void {
  const body = response.json();
  assert.equal(response.status, code, response.text);
  assert.equal(body['kind'], 'Status');
  assert.equal(body['status'], 'Failure');
  assert.equal(body['code'], code);
  assert.equal(body['reason'], reason, response.text);
  if (message) assert.match(String(body['message']), message);
}

test('bad input: kube-apiserver status codes and reasons, nothing stored', async (t) => {
  const cluster = await startDevCluster(t, { extraArgs: ['--compaction-interval', '1s'] });
  const api = await rawClient(cluster);
  const storedNames = async (): Promise<string[]> => {
    const list = (await api.send('GET', SECRETS)).json() as { items: { metadata: { name: string } }[] };
    return list.items.map((item) => item.metadata.name).sort();
  };
  assert.equal((await api.send('POST', SECRETS, { body: secretBody('kept') })).status, 201);
  const before = await storedNames();

  const cases: {
    name: string;
    send: () => Promise<RawResponse>;
    code: number;
    reason: string;
    message?: RegExp;
  }[] = [
    {
      name: 'malformed JSON',
      send: () => api.send('POST', SECRETS, { body: '{"apiVersion":"v1","kind":"Secret",' }),
      code: 400,
      reason: 'BadRequest',
      message: /^the object provided is unrecognized \(must be of type Secret\)/,
    },
    {
      name: 'malformed YAML',
      send: () =>
        api.send('POST', SECRETS, {
          body: 'apiVersion: v1\nkind: Secret\nmetadata: {name: [unclosed\n',
          contentType: 'application/yaml',
        }),
      code: 400,
      reason: 'BadRequest',
    },
    {
      name: 'wrong kind for the URL',
      send: () =>
        api.send('POST', SECRETS, {
          body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } }),
        }),
      code: 400,
      reason: 'BadRequest',
      message: /^ConfigMap in version "v1" cannot be handled as a Secret/,
    },
    {
      name: 'wrong apiVersion for the URL',
      send: () =>
        api.send('POST', SECRETS, {
          body: JSON.stringify({ apiVersion: 'v2', kind: 'Secret', metadata: { name: 'v2' } }),
        }),
      code: 400,
      reason: 'BadRequest',
    },
    {
      name: 'name in the body differs from the URL',
      send: () => api.send('PUT', `${SECRETS}/kept`, { body: secretBody('other') }),
      code: 400,
      reason: 'BadRequest',
      message: /^the name of the object \(other\) does not match the name on the URL \(kept\)$/,
    },
    {
      name: 'namespace in the body differs from the URL',
      send: () =>
        api.send('POST', SECRETS, {
          body: secretBody('elsewhere', { metadata: { name: 'elsewhere', namespace: 'kube-system' } }),
        }),
      code: 400,
      reason: 'BadRequest',
      message: /^the namespace of the provided object does not match the namespace sent on the request$/,
    },
    {
      name: 'invalid name (not a DNS-1123 subdomain)',
      send: () => api.send('POST', SECRETS, { body: secretBody('Bad_Name') }),
      code: 422,
      reason: 'Invalid',
      message:
        /^Secret "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    },
    {
      name: 'invalid namespace name (not a DNS-1123 label)',
      send: () =>
        api.send('POST', '/api/v1/namespaces', {
          body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } }),
        }),
      code: 422,
      reason: 'Invalid',
    },
    {
      name: 'unknown resource',
      send: () => api.send('GET', '/api/v1/namespaces/default/sekrets'),
      code: 404,
      reason: 'NotFound',
    },
    {
      name: 'unknown group',
      send: () => api.send('GET', '/apis/nope.example.com/v1/things'),
      code: 404,
      reason: 'NotFound',
    },
    {
      name: 'create in a namespace that does not exist',
      send: () => api.send('POST', '/api/v1/namespaces/missing/secrets', { body: secretBody('lost') }),
      code: 404,
      reason: 'NotFound',
      message: /^namespaces "missing" not found$/,
    },
    {
      name: 'create what already exists',
      send: () => api.send('POST', SECRETS, { body: secretBody('kept') }),
      code: 409,
      reason: 'AlreadyExists',
      message: /^secrets "kept" already exists$/,
    },
    {
      name: 'body over 3 MiB',
      send: () =>
        api.send('POST', SECRETS, {
          body: secretBody('huge', { data: { a: Buffer.alloc(3 * 1024 * 1024).toString('base64') } }),
        }),
      code: 413,
      reason: 'RequestEntityTooLarge',
    },
    {
      name: 'unknown field with fieldValidation=Strict',
      send: () =>
        api.send('POST', `${SECRETS}?fieldValidation=Strict`, {
          body: secretBody('strict', { colour: 'red' }),
        }),
      code: 400,
      reason: 'BadRequest',
      message:
        /^Secret in version "v1" cannot be handled as a Secret: strict decoding error: unknown field "colour"$/,
    },
    {
      name: 'unsupported patch type',
      send: () => api.send('PATCH', `${SECRETS}/kept`, { body: '{}', contentType: 'text/plain' }),
      code: 415,
      reason: 'UnsupportedMediaType',
    },
    {
      name: 'no credentials: the anonymous user, whom RBAC denies',
      send: () => api.send('GET', SECRETS, { token: null }),
      code: 403,
      reason: 'Forbidden',
      message:
        /^secrets is forbidden: User "system:anonymous" cannot list resource "secrets" in API group "" in the namespace "default"$/,
    },
    {
      name: 'a token nobody issued',
      send: () => api.send('GET', SECRETS, { token: 'not-a-token' }),
      code: 401,
      reason: 'Unauthorized',
    },
  ];
  for (const example of cases) {
    await t.test(example.name, async () => {
      assertStatus(await example.send(), example.code, example.reason, example.message);
      assert.deepEqual(await storedNames(), before, 'nothing may be stored');
    });
  }

  await t.test('unknown field with fieldValidation=Warn: stored, with a Warning header', async () => {
    const response = await api.send('POST', `${SECRETS}?fieldValidation=Warn`, {
      body: secretBody('warned', { colour: 'red' }),
    });
    assert.equal(response.status, 201);
    assert.match(String(response.headers['warning']), /299 - "unknown field \\"colour\\""/);
    assert.equal((await api.send('DELETE', `${SECRETS}/warned`)).status, 200);
  });

  await t.test('dryRun=All validates and answers, and stores nothing', async () => {
    const response = await api.send('POST', `${SECRETS}?dryRun=All`, { body: secretBody('dry') });
    assert.equal(response.status, 201);
    assert.equal((response.json()['metadata'] as { name: string }).name, 'dry');
    assert.deepEqual(await storedNames(), before);
  });

  await t.test('a watch from a compacted resourceVersion: ERROR event with 410 Expired', async () => {
    for (let index = 0; index < 5; index++) {
      await api.send('PATCH', `${SECRETS}/kept`, {
        body: JSON.stringify({ metadata: { labels: { round: String(index) } } }),
        contentType: 'application/merge-patch+json',
      });
    }
    await sleep(2500);
    const response = await api.send('GET', `${SECRETS}?watch=true&resourceVersion=2&timeoutSeconds=2`);
    assert.equal(response.status, 200);
    const events = response.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; object: Record<string, unknown> });
    assert.equal(events.length, 1, response.text);
    assert.equal(events[0]?.type, 'ERROR');
    assert.equal(events[0]?.object['code'], 410);
    assert.equal(events[0]?.object['reason'], 'Expired');
    assert.match(String(events[0]?.object['message']), /^too old resource version: 2 \(\d+\)$/);
    const list = await api.send('GET', `${SECRETS}?resourceVersion=2&resourceVersionMatch=Exact`);
    assertStatus(list, 410, 'Expired');
  });
});
