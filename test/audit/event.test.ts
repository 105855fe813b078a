import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AuditEventInput,
  type AuditRequestFacts,
  auditEvent,
  authorizationAnnotations,
  eventLine,
  formatMicroTime,
  kubeVerb,
  objectReference,
  panicResponseStatus,
  responseStatus,
  withoutManagedFields,
} from '../../src/audit/event.ts';
import type { Level, RequestAuditConfig } from '../../src/audit/policy.ts';

const SECRET_VALUE = 'hunter2-very-secret';
const SECRET_B64 = Buffer.from(SECRET_VALUE).toString('base64');

const MANAGED = [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1' }];

function secret(): Record<string, unknown> {
  return {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: {
      name: 'db',
      namespace: 'prod',
      uid: '2f0c1e4e-0000-4000-8000-000000000001',
      resourceVersion: '42',
      managedFields: MANAGED,
    },
    data: { password: SECRET_B64 },
    type: 'Opaque',
  };
}

const RECEIVED = Date.UTC(2026, 2, 7, 10, 30, 0, 0);

function getSecret(): AuditRequestFacts {
  return {
    auditID: '5b8d3bc5-7f0f-4a4e-9f41-3f8f2d7b9a01',
    requestURI: '/api/v1/namespaces/prod/secrets/db',
    verb: 'get',
    user: {
      username: 'system:serviceaccount:prod:app',
      uid: 'u-1',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:prod'],
      extra: { 'authentication.kubernetes.io/pod-name': ['app-1'] },
    },
    sourceIPs: ['127.0.0.1'],
    userAgent: 'kubectl/v1.32.0 (linux/amd64) kubernetes/abcdef',
    objectRef: objectReference({
      group: '',
      version: 'v1',
      resource: 'secrets',
      namespace: 'prod',
      name: 'db',
    }),
    requestReceivedTimestamp: RECEIVED,
  };
}

function config(level: Level, overrides: Partial<RequestAuditConfig> = {}): RequestAuditConfig {
  return { level, omitStages: [], omitManagedFields: false, rule: 0, ...overrides };
}

function input(level: Level, overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    config: config(level),
    stage: 'ResponseComplete',
    request: getSecret(),
    outcome: {
      responseStatus: responseStatus(200, secret()),
      responseObject: secret(),
      annotations: authorizationAnnotations('allow', 'RBAC: allowed by RoleBinding "read/prod"'),
    },
    stageTimestamp: RECEIVED + 5.25,
    ...overrides,
  };
}

describe('auditEvent', () => {
  it('Metadata: the exact line kube writes, with no bodies and no secret data', () => {
    for (const level of ['Metadata', 'Request', 'RequestResponse'] as const) {
      const written = eventLine(auditEvent(update(level))!);
      assert.equal(written.includes(SECRET_B64), level !== 'Metadata', level);
    }
    const event = auditEvent(input('Metadata'));
    assert.ok(event);
    const line = eventLine(event);
    assert.equal(
      line,
      '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"5b8d3bc5-7f0f-4a4e-9f41-3f8f2d7b9a01",' +
        '"stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/secrets/db","verb":"get",' +
        '"user":{"username":"system:serviceaccount:prod:app","uid":"u-1","groups":["system:serviceaccounts","system:serviceaccounts:prod"],' +
        '"extra":{"authentication.kubernetes.io/pod-name":["app-1"]}},"sourceIPs":["127.0.0.1"],' +
        '"userAgent":"kubectl/v1.32.0 (linux/amd64) kubernetes/abcdef",' +
        '"objectRef":{"resource":"secrets","namespace":"prod","name":"db","apiVersion":"v1"},' +
        '"responseStatus":{"metadata":{},"code":200},' +
        '"requestReceivedTimestamp":"2026-03-07T10:30:00.000000Z","stageTimestamp":"2026-03-07T10:30:00.005250Z",' +
        '"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \\"read/prod\\""}}\n',
    );
    assert.equal('requestObject' in event, false);
    assert.equal('responseObject' in event, false);
    assert.ok(!line.includes(SECRET_B64) && !line.includes(SECRET_VALUE) && !line.includes('"data"'));
  });

  function update(level: Level, omitManagedFields = false): AuditEventInput {
    return input(level, {
      config: config(level, { omitManagedFields }),
      request: { ...getSecret(), verb: 'update' },
      outcome: { responseStatus: responseStatus(200), requestObject: secret(), responseObject: secret() },
    });
  }

  it('Request: the request object only', () => {
    const event = auditEvent(update('Request'));
    assert.deepEqual(event?.requestObject, secret());
    assert.equal(event && 'responseObject' in event, false);
  });

  it('RequestResponse: both bodies, managed fields kept unless omitted', () => {
    const event = auditEvent(update('RequestResponse'));
    assert.deepEqual(event?.requestObject, secret());
    assert.deepEqual(event?.responseObject, secret());

    const omitted = auditEvent(update('RequestResponse', true));
    const expected = secret();
    delete (expected['metadata'] as Record<string, unknown>)['managedFields'];
    assert.deepEqual(omitted?.requestObject, expected);
    assert.deepEqual(omitted?.responseObject, expected);
    assert.ok(!eventLine(omitted).includes('managedFields'));
  });

  it('omitManagedFields reaches list items and Table rows, without changing the input', () => {
    const list = {
      kind: 'SecretList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '9' },
      items: [secret(), secret()],
    };
    const stripped = withoutManagedFields(list) as { items: { metadata: Record<string, unknown> }[] };
    assert.equal(stripped.items.length, 2);
    for (const item of stripped.items) assert.equal('managedFields' in item.metadata, false);
    assert.ok('managedFields' in (list.items[0] as { metadata: object }).metadata);
    const table = { kind: 'Table', rows: [{ cells: ['db'], object: secret() }] };
    const strippedTable = withoutManagedFields(table) as { rows: { object: { metadata: object } }[] };
    assert.equal('managedFields' in (strippedTable.rows[0]?.object.metadata ?? {}), false);
  });

  it('a patch is logged verbatim at Request level', () => {
    const patch = { data: { password: SECRET_B64 }, metadata: { managedFields: MANAGED } };
    const event = auditEvent(
      input('Request', {
        config: config('Request', { omitManagedFields: true }),
        outcome: { requestPatch: patch, requestObject: secret() },
      }),
    );
    assert.deepEqual(event?.requestObject, patch);
  });

  it('non-resource requests log no bodies at any level', () => {
    const event = auditEvent(
      input('RequestResponse', {
        request: { ...getSecret(), objectRef: undefined, requestURI: '/version', verb: 'get' },
        outcome: { responseStatus: responseStatus(200), requestObject: { a: 1 }, responseObject: { b: 2 } },
      }),
    );
    assert.ok(event);
    assert.equal('objectRef' in event, false);
    assert.equal('requestObject' in event, false);
    assert.equal('responseObject' in event, false);
  });

  it('RequestReceived carries only what is known on arrival', () => {
    const event = auditEvent(
      input('RequestResponse', { stage: 'RequestReceived', stageTimestamp: RECEIVED }),
    );
    assert.ok(event);
    for (const field of ['responseStatus', 'requestObject', 'responseObject', 'annotations']) {
      assert.equal(field in event, false, field);
    }
    assert.deepEqual(event.objectRef, {
      resource: 'secrets',
      namespace: 'prod',
      name: 'db',
      apiVersion: 'v1',
    });
    assert.equal(event.stageTimestamp, event.requestReceivedTimestamp);
  });

  it('level None and omitted stages give no event', () => {
    assert.equal(auditEvent(input('None')), undefined);
    assert.equal(
      auditEvent(input('Metadata', { config: config('Metadata', { omitStages: ['ResponseComplete'] }) })),
      undefined,
    );
  });

  it('a create completes objectRef from the body metadata, at Metadata level too, without the data', () => {
    const body = secret();
    const event = auditEvent(
      input('Metadata', {
        request: {
          ...getSecret(),
          requestURI: '/api/v1/namespaces/prod/secrets',
          verb: 'create',
          objectRef: objectReference({ group: '', version: 'v1', resource: 'secrets', namespace: 'prod' }),
        },
        outcome: { responseStatus: responseStatus(201), requestObject: body },
      }),
    );
    assert.deepEqual(event?.objectRef, {
      resource: 'secrets',
      namespace: 'prod',
      name: 'db',
      uid: '2f0c1e4e-0000-4000-8000-000000000001',
      apiVersion: 'v1',
      resourceVersion: '42',
    });
    assert.ok(!eventLine(event).includes(SECRET_B64));
  });

  it('impersonation, API groups and subresources', () => {
    const event = auditEvent(
      input('Metadata', {
        request: {
          ...getSecret(),
          verb: 'update',
          impersonatedUser: { username: 'jane', groups: ['dev'] },
          objectRef: objectReference({
            group: 'apps',
            version: 'v1',
            resource: 'deployments',
            namespace: 'prod',
            name: 'web',
            subresource: 'scale',
          }),
        },
        outcome: {},
      }),
    );
    assert.deepEqual(event?.impersonatedUser, { username: 'jane', groups: ['dev'] });
    assert.equal(
      JSON.stringify(event?.objectRef),
      '{"resource":"deployments","namespace":"prod","name":"web","apiGroup":"apps","apiVersion":"v1","subresource":"scale"}',
    );
  });
});

describe('responseStatus', () => {
  it('copies the bounded fields of a Status body, with the code written', () => {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'secrets "db" is forbidden: User "jane" cannot get resource "secrets"',
      reason: 'Forbidden',
      details: { name: 'db', kind: 'secrets' },
      code: 403,
    };
    assert.equal(
      JSON.stringify(responseStatus(403, status)),
      '{"metadata":{},"status":"Failure","message":"secrets \\"db\\" is forbidden: User \\"jane\\" cannot get resource \\"secrets\\"",' +
        '"reason":"Forbidden","details":{"name":"db","kind":"secrets"},"code":403}',
    );
    assert.deepEqual(responseStatus(200, secret()), { metadata: {}, code: 200 });
  });

  it('Panic', () => {
    assert.equal(
      JSON.stringify(panicResponseStatus('boom')),
      '{"metadata":{},"status":"Failure","message":"APIServer panic\'d: boom","reason":"InternalError","code":500}',
    );
  });
});

describe('formatMicroTime', () => {
  it('UTC RFC 3339 with exactly six fractional digits', () => {
    assert.equal(formatMicroTime(new Date('2024-05-01T10:00:00Z')), '2024-05-01T10:00:00.000000Z');
    assert.equal(formatMicroTime(new Date('2024-05-01T12:00:00.5+02:00')), '2024-05-01T10:00:00.500000Z');
    assert.equal(formatMicroTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678) + 0.901), '2024-01-02T03:04:05.678901Z');
    assert.match(formatMicroTime(Date.now() + 0.123), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });
});

describe('eventLine', () => {
  it("escapes like Go's encoder and ends in a newline", () => {
    const event = auditEvent(
      input('Metadata', { request: { ...getSecret(), userAgent: 'a<b>&c\u2028' }, outcome: {} }),
    );
    const line = eventLine(event!);
    assert.ok(line.includes('"userAgent":"a\\u003cb\\u003e\\u0026c\\u2028"'));
    assert.ok(line.endsWith('}\n'));
    assert.equal(line.indexOf('\n'), line.length - 1);
  });
});

describe('kubeVerb', () => {
  const resource = (name?: string, watch?: boolean) => ({ resourceRequest: true, name, watch });
  const cases: [string, ReturnType<typeof resource> | { resourceRequest: false }, string][] = [
    ['GET', resource('db'), 'get'],
    ['HEAD', resource('db'), 'get'],
    ['GET', resource(), 'list'],
    ['GET', resource(undefined, true), 'watch'],
    ['GET', resource('db', true), 'get'],
    ['POST', resource(), 'create'],
    ['PUT', resource('db'), 'update'],
    ['PATCH', resource('db'), 'patch'],
    ['DELETE', resource('db'), 'delete'],
    ['DELETE', resource(), 'deletecollection'],
    ['GET', { resourceRequest: false }, 'get'],
    ['POST', { resourceRequest: false }, 'post'],
  ];
  for (const [method, request, verb] of cases) {
    it(`${method} ${JSON.stringify(request)} → ${verb}`, () => assert.equal(kubeVerb(method, request), verb));
  }
});
