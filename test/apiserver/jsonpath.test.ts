import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  JsonPathError,
  evaluateJsonPath,
  parseJsonPath,
  printJsonPathValue,
} from '../../src/apiserver/jsonpath.ts';

const pod = {
  metadata: {
    name: 'web-0',
    labels: { app: 'web', 'app.kubernetes.io/name': 'web' },
    annotations: { 'example.com/owner': 'team-a' },
  },
  spec: {
    containers: [
      { name: 'app', image: 'nginx:1', ports: [{ containerPort: 80 }, { containerPort: 443 }] },
      { name: 'sidecar', image: 'envoy:2', ports: [] },
      { name: 'logger', image: 'fluent:3' },
    ],
  },
  status: {
    phase: 'Running',
    restarts: 4,
    ratio: 0.25,
    conditions: [
      { type: 'Initialized', status: 'True', priority: 1 },
      { type: 'Ready', status: 'False', priority: 5, reason: 'ContainersNotReady' },
      { type: 'PodScheduled', status: 'True', priority: 10 },
    ],
    nothing: null,
  },
};

describe('paths', () => {
  test('follow fields and leave out what is missing', () => {
    assert.deepEqual(evaluateJsonPath(pod, '.metadata.name'), ['web-0']);
    assert.deepEqual(evaluateJsonPath(pod, '.status.phase'), ['Running']);
    assert.deepEqual(evaluateJsonPath(pod, '.status.missing'), []);
    assert.deepEqual(evaluateJsonPath(pod, '.metadata.name.deeper'), []);
    assert.deepEqual(evaluateJsonPath(pod, '.status.nothing'), [null]);
    assert.deepEqual(evaluateJsonPath(pod, '.status.nothing.below'), []);
  });

  test('take a leading $ or @ as the object itself, and surrounding braces', () => {
    assert.deepEqual(evaluateJsonPath(pod, '$.metadata.name'), ['web-0']);
    assert.deepEqual(evaluateJsonPath(pod, '@.metadata.name'), ['web-0']);
    assert.deepEqual(evaluateJsonPath(pod, '{.metadata.name}'), ['web-0']);
  });

  test('index, slice and spread lists', () => {
    assert.deepEqual(evaluateJsonPath(pod, '.spec.containers[0].name'), ['app']);
    assert.deepEqual(evaluateJsonPath(pod, '.spec.containers[-1].name'), ['logger']);
    assert.deepEqual(evaluateJsonPath(pod, '.spec.containers[1:3].name'), ['sidecar', 'logger']);
    assert.deepEqual(evaluateJsonPath(pod, '.spec.containers[::2].name'), ['app', 'logger']);
    assert.deepEqual(evaluateJsonPath(pod, '.spec.containers[*].image'), ['nginx:1', 'envoy:2', 'fluent:3']);
    assert.deepEqual(evaluateJsonPath(pod, '.spec.containers[*].ports[*].containerPort'), [80, 443]);
    assert.deepEqual(evaluateJsonPath(pod, '.spec.containers[0,2].name'), ['app', 'logger']);
  });

  test('return nothing where Kubernetes fails the evaluation', () => {
    assert.deepEqual(evaluateJsonPath(pod, '.spec.containers[7].name'), []);
    assert.deepEqual(evaluateJsonPath(pod, '.metadata[0]'), []);
    assert.deepEqual(evaluateJsonPath({ list: [] }, '.list[0]'), []);
    assert.deepEqual(evaluateJsonPath({ list: [] }, '.list[*]'), []);
  });

  test('read keys with dots through escapes; bracket keys are re-read as paths, as in Kubernetes', () => {
    assert.deepEqual(evaluateJsonPath(pod, '.metadata.annotations.example\\.com/owner'), ['team-a']);
    assert.deepEqual(evaluateJsonPath(pod, ".metadata.labels['app']"), ['web']);
    assert.deepEqual(evaluateJsonPath(pod, "['metadata.name']"), ['web-0']);
    assert.deepEqual(evaluateJsonPath(pod, ".metadata.labels['app.kubernetes.io/name']"), []);
    assert.deepEqual(evaluateJsonPath(pod, ".metadata.labels['app\\.kubernetes\\.io/name']"), ['web']);
    assert.deepEqual(evaluateJsonPath(pod, ".metadata['name','labels'].app"), ['web']);
  });

  test('spread objects with * and descend with ..', () => {
    assert.deepEqual(evaluateJsonPath(pod, '.metadata.labels.*'), ['web', 'web']);
    assert.deepEqual(evaluateJsonPath(pod, '..image'), ['nginx:1', 'envoy:2', 'fluent:3']);
    assert.deepEqual(evaluateJsonPath({ a: { name: 'x', b: [{ name: 'y' }] } }, '..name'), ['x', 'y']);
  });
});

describe('filters', () => {
  test('select list items by comparing a field with a string', () => {
    assert.deepEqual(evaluateJsonPath(pod, '.status.conditions[?(@.type=="Ready")].status'), ['False']);
    assert.deepEqual(evaluateJsonPath(pod, ".status.conditions[?(@.type=='Ready')].reason"), [
      'ContainersNotReady',
    ]);
    assert.deepEqual(evaluateJsonPath(pod, '.status.conditions[?(@.type != "Ready")].type'), [
      'Initialized',
      'PodScheduled',
    ]);
    assert.deepEqual(evaluateJsonPath(pod, '.status.conditions[?(@.type=="Missing")].status'), []);
  });

  test('compare numbers and strings in order', () => {
    assert.deepEqual(evaluateJsonPath(pod, '.status.conditions[?(@.priority<5)].type'), ['Initialized']);
    assert.deepEqual(evaluateJsonPath(pod, '.status.conditions[?(@.priority>=5)].type'), [
      'Ready',
      'PodScheduled',
    ]);
    assert.deepEqual(evaluateJsonPath(pod, '.status.conditions[?(@.priority<=1.5)].type'), ['Initialized']);
    assert.deepEqual(evaluateJsonPath(pod, '.status.conditions[?(@.priority>-1)].type').length, 3);
    assert.deepEqual(evaluateJsonPath(pod, '.status.conditions[?(@.type>"P")].type'), [
      'Ready',
      'PodScheduled',
    ]);
  });

  test('keep items that have a field', () => {
    assert.deepEqual(evaluateJsonPath(pod, '.status.conditions[?(@.reason)].type'), ['Ready']);
    assert.deepEqual(evaluateJsonPath(pod, '.spec.containers[?(@.ports)].name'), ['app', 'sidecar']);
  });

  test('compare booleans for equality only', () => {
    const flags = {
      items: [
        { on: true, n: 'a' },
        { on: false, n: 'b' },
      ],
    };
    assert.deepEqual(evaluateJsonPath(flags, '.items[?(@.on==true)].n'), ['a']);
    assert.deepEqual(evaluateJsonPath(flags, '.items[?(@.on!=true)].n'), ['b']);
    assert.deepEqual(evaluateJsonPath(flags, '.items[?(@.on<true)].n'), []);
  });

  test('fail the whole evaluation on incompatible types, as Kubernetes does', () => {
    assert.deepEqual(evaluateJsonPath(pod, '.status.conditions[?(@.priority=="5")].type'), []);
    assert.deepEqual(evaluateJsonPath(pod, '.status.phase[?(@.x)]'), []);
  });
});

describe('invalid paths', () => {
  const cases: [string, RegExp][] = [
    ['', /the path is empty/],
    ['.a[0', /unterminated array/],
    ['.a["x"]', /invalid array index "x".*\['x'\]/],
    ['.a[x]', /invalid array index x/],
    ['.a[1:2:3:4]', /invalid array index/],
    ['.a[?(@.x=="y")', /expected "\]"/],
    ['.a[?(@.x=="y"', /unterminated filter/],
    ['.a[?(@.x=<"y")]', /unrecognized filter operator =</],
    ['....a', /multiple recursive descent/],
    ['.a range', /unsupported identifier "range"/],
    ['.a #b', /unrecognized character "#" at offset 3/],
    ['.a "unterminated', /unterminated quoted string/],
    ['.a 1.2.3', /cannot parse number 1.2.3/],
  ];
  for (const [path, message] of cases) {
    test(`rejects ${JSON.stringify(path)}`, () => {
      assert.throws(
        () => parseJsonPath(path),
        (error: unknown) => {
          assert.ok(error instanceof JsonPathError);
          assert.equal(error.code, 'ERR_JSONPATH');
          assert.match(error.message, message);
          assert.ok(error.message.startsWith(`invalid JSONPath "${path}"`), error.message);
          return true;
        },
      );
    });
  }

  test('are reported by evaluateJsonPath too', () => {
    assert.throws(() => evaluateJsonPath(pod, '.a[0'), JsonPathError);
  });

  test('a parsed path is reused', () => {
    const path = parseJsonPath('.metadata.name');
    assert.deepEqual(evaluateJsonPath({ metadata: { name: 'a' } }, path), ['a']);
    assert.deepEqual(evaluateJsonPath({ metadata: { name: 'b' } }, path), ['b']);
  });
});

describe('printing a value into a string column', () => {
  test('prints scalars as Go does', () => {
    assert.equal(printJsonPathValue('text'), 'text');
    assert.equal(printJsonPathValue(42), '42');
    assert.equal(printJsonPathValue(-3), '-3');
    assert.equal(printJsonPathValue(0.25), '0.25');
    assert.equal(printJsonPathValue(123456.5), '123456.5');
    assert.equal(printJsonPathValue(1234567.5), '1.2345675e+06');
    assert.equal(printJsonPathValue(0.00001), '1e-05');
    assert.equal(printJsonPathValue(0.0001), '0.0001');
    assert.equal(printJsonPathValue(true), 'true');
    assert.equal(printJsonPathValue(null), '<no value>');
  });

  test('prints lists and objects as compact JSON with sorted keys', () => {
    assert.equal(
      printJsonPathValue({ b: 1, a: ['x', { d: true, c: null }] }),
      '{"a":["x",{"c":null,"d":true}],"b":1}',
    );
    assert.equal(printJsonPathValue(['<a&b>']), '["\\u003ca\\u0026b\\u003e"]');
  });
});
