import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { KubeApiError } from '../../../src/operator/runtime/api-client.ts';
import { createLogger } from '../../../src/operator/runtime/logger.ts';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return {
    stream,
    text: () => text,
    lines: () =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

test('JSON lines with level names, ISO times and the component', () => {
  const out = capture();
  const logger = createLogger({ name: 'cloak-operator', destination: out.stream });
  logger.info({ controller: 'sealed-secrets', key: 'app/db' }, 'reconciled');
  logger.debug('not at info');
  const [line] = out.lines();
  assert.equal(out.lines().length, 1);
  assert.equal(line?.['level'], 'info');
  assert.equal(line?.['name'], 'cloak-operator');
  assert.equal(line?.['msg'], 'reconciled');
  assert.equal(line?.['key'], 'app/db');
  assert.match(String(line?.['time']), /^\d{4}-\d{2}-\d{2}T/);
});

test('secret-ish paths are redacted wherever a controller puts them', () => {
  const out = capture();
  const logger = createLogger({ destination: out.stream });
  const values = ['aHVudGVyMg==', 'hunter2', 's3cr3t-token', 'AgBy3i4OJSWK', 'Bearer abc.def'];
  logger.info({ data: { password: values[0] } }, 'top level');
  logger.info({ secret: { data: { password: values[0] }, stringData: { password: values[1] } } }, 'one down');
  logger.info({ request: { headers: { authorization: values[4] } }, token: values[2] }, 'headers');
  logger.info({ object: { spec: { encryptedData: { password: values[3] } } } }, 'two down');
  logger.info(
    {
      object: {
        metadata: {
          name: 'db',
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': values[1] },
        },
      },
    },
    'annotation',
  );
  for (const value of values) assert.ok(!out.text().includes(value), `${value} leaked: ${out.text()}`);
  assert.equal(out.text().match(/\[REDACTED\]/g)?.length, 7);
  assert.match(out.text(), /"name":"db"/, 'the rest is kept');
});

test('errors are logged as type, code, status and message only', () => {
  const out = capture();
  const logger = createLogger({ destination: out.stream });
  const error = Object.assign(new KubeApiError(409, 'Conflict', 'the object has been modified'), {
    body: { data: { password: 'aHVudGVyMg==' } },
  });
  logger.warn({ err: error }, 'update failed');
  const [line] = out.lines();
  assert.deepEqual(line?.['err'], {
    type: 'KubeApiError',
    message: 'the object has been modified',
    code: 'ERR_KUBE_API',
    status: 409,
  });
  assert.ok(!out.text().includes('aHVudGVyMg'));
});
