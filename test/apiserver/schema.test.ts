import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type Cause, causeText } from '../../src/apiserver/field-errors.ts';
import { applySchema, pruneValue, type Schema, validateValue } from '../../src/apiserver/schema.ts';
import { invalid } from '../../src/apiserver/status.ts';
import { outputWithinLimit } from '../helpers/time-limit.ts';

type Json = Record<string, unknown>;
const texts = (causes: readonly Cause[]): string[] => causes.map(causeText);

function resource(spec: unknown, extra: Json = {}): Json {
  const object: Json = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', namespace: 'n' },
    ...extra,
  };
  return spec === undefined ? object : { ...object, spec };
}

function withSpec(properties: Record<string, Schema>, spec: Json = {}): Schema {
  return { type: 'object', properties: { spec: { type: 'object', properties, ...spec } } };
}

/** The causes for `spec` under a schema with the given spec properties. */
function causesFor(properties: Record<string, Schema>, spec: unknown, specSchema: Json = {}): string[] {
  return texts(
    applySchema(withSpec(properties, specSchema), resource(spec), { fieldValidation: 'Strict' }).causes,
  );
}

describe('pruning', () => {
  const schema = withSpec({
    replicas: { type: 'integer' },
    template: { type: 'object', properties: { image: { type: 'string' } } },
    list: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    opaque: { type: 'object' },
  });

  it('drops fields the schema does not know and reports them sorted, as kube names them', () => {
    const object = resource(
      {
        replicas: 1,
        zeta: true,
        template: { image: 'x', tag: 'y' },
        list: [{ name: 'a', extra: 1 }],
        labels: { any: 'thing' },
        opaque: { a: 1 },
      },
      { status: { ready: true }, extra: 'x' },
    );
    const {
      object: pruned,
      unknownFields,
      causes,
    } = applySchema(schema, object, { fieldValidation: 'Strict' });
    assert.deepEqual(unknownFields, [
      'extra',
      'spec.list[0].extra',
      'spec.opaque.a',
      'spec.template.tag',
      'spec.zeta',
      'status',
    ]);
    assert.deepEqual(
      pruned,
      resource({
        replicas: 1,
        template: { image: 'x' },
        list: [{ name: 'a' }],
        labels: { any: 'thing' },
        opaque: {},
      }),
    );
    assert.deepEqual(causes, []);
  });

  it('always keeps apiVersion, kind and metadata at the root, but drops unknown metadata fields first', () => {
    const object = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: {
        name: 'w',
        zz: 1,
        aa: 2,
        labels: { a: 'b' },
        ownerReferences: [{ name: 'o', colour: 'red' }],
      },
      spec: { ghost: 1 },
    };
    const { object: pruned, unknownFields } = applySchema(
      { type: 'object', properties: { spec: { type: 'object' } } },
      object,
      { fieldValidation: 'Warn' },
    );
    assert.deepEqual(unknownFields, [
      'metadata.aa',
      'metadata.ownerReferences[0].colour',
      'metadata.zz',
      'spec.ghost',
    ]);
    assert.deepEqual(pruned, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', labels: { a: 'b' }, ownerReferences: [{ name: 'o' }] },
      spec: {},
    });
  });

  it('still prunes with fieldValidation=Ignore, without reporting', () => {
    const { object: pruned, unknownFields } = applySchema(schema, resource({ ghost: 1 }), {
      fieldValidation: 'Ignore',
    });
    assert.deepEqual(unknownFields, []);
    assert.deepEqual(pruned['spec'], {});
  });

  it('keeps unknown fields under x-kubernetes-preserve-unknown-fields, but prunes inside known ones', () => {
    const preserving = withSpec({
      raw: {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        properties: { known: { type: 'object', properties: { a: { type: 'string' } } } },
      },
    });
    const { object: pruned, unknownFields } = applySchema(
      preserving,
      resource({ raw: { anything: { deep: [1] }, known: { a: 'x', b: 'y' } } }),
      {
        fieldValidation: 'Strict',
      },
    );
    assert.deepEqual(unknownFields, ['spec.raw.known.b']);
    assert.deepEqual(pruned['spec'], { raw: { anything: { deep: [1] }, known: { a: 'x' } } });
    const everything = applySchema(
      { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      resource({ a: 1 }, { b: 2 }),
      { fieldValidation: 'Strict' },
    );
    assert.deepEqual(everything.unknownFields, []);
    assert.deepEqual(everything.object, resource({ a: 1 }, { b: 2 }));
  });

  it('keeps embedded resources’ apiVersion, kind and metadata, dropping unknown metadata fields', () => {
    const embedded = withSpec({
      template: {
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        properties: { spec: { type: 'object', properties: { x: { type: 'string' } } } },
      },
    });
    const template = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', bogus: true },
      spec: { x: 'a', y: 'b' },
      other: 1,
    };
    const { object: pruned, unknownFields } = applySchema(embedded, resource({ template }), {
      fieldValidation: 'Strict',
    });
    assert.deepEqual(unknownFields, [
      'spec.template.other',
      'spec.template.spec.y',
      'spec.template.metadata.bogus',
    ]);
    assert.deepEqual(pruned['spec'], {
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 'a' } },
    });
  });

  it('does not change its input', () => {
    const object = resource({ ghost: 1 });
    applySchema(schema, object, { fieldValidation: 'Strict' });
    assert.deepEqual(object, resource({ ghost: 1 }));
  });

  it('keeps everything when there is no schema', () => {
    const { object: kept, unknownFields } = applySchema(undefined, resource({ a: 1 }), {
      fieldValidation: 'Strict',
    });
    assert.deepEqual(kept, resource({ a: 1 }));
    assert.deepEqual(unknownFields, []);
  });

  it('prunes a bare value too', () => {
    const value = { a: 1, b: { c: 2 } };
    assert.deepEqual(pruneValue(value, { type: 'object', properties: { b: { type: 'object' } } }, false), [
      'a',
      'b.c',
    ]);
    assert.deepEqual(value, { b: {} });
  });
});

describe('defaults and nulls', () => {
  const schema = withSpec({
    replicas: { type: 'integer', default: 1 },
    strategy: {
      type: 'object',
      default: {},
      properties: { kind: { type: 'string', default: 'Rolling' }, surge: { type: 'integer' } },
    },
    maybe: { type: 'string', nullable: true, default: 'x' },
    plain: { type: 'string' },
    ports: {
      type: 'array',
      items: {
        type: 'object',
        properties: { protocol: { type: 'string', default: 'TCP' }, port: { type: 'integer' } },
      },
    },
    nested: { type: 'object', properties: { deep: { type: 'string', default: 'd' } } },
  });

  it('applies defaults to absent fields, recursing into defaulted objects and list items', () => {
    const { object } = applySchema(
      schema,
      resource({ ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] }),
      { fieldValidation: 'Strict' },
    );
    assert.deepEqual(object['spec'], {
      ports: [
        { port: 80, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
      ],
      replicas: 1,
      strategy: { kind: 'Rolling' },
      maybe: 'x',
    });
  });

  it('does not create a parent just to default its child', () => {
    const { object } = applySchema(schema, resource({}), { fieldValidation: 'Strict' });
    assert.equal((object['spec'] as Json)['nested'], undefined);
    const noSpec = applySchema(
      schema,
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      { fieldValidation: 'Strict' },
    );
    assert.equal(noSpec.object['spec'], undefined);
  });

  it('replaces a null with the default unless the field is nullable, and drops other disallowed nulls', () => {
    const { object, causes } = applySchema(schema, resource({ replicas: null, maybe: null, plain: null }), {
      fieldValidation: 'Strict',
    });
    assert.deepEqual(object['spec'], { replicas: 1, maybe: null, strategy: { kind: 'Rolling' } });
    assert.deepEqual(causes, []);
  });

  it('reports a required field whose null was dropped', () => {
    assert.deepEqual(causesFor({ name: { type: 'string' } }, { name: null }, { required: ['name'] }), [
      'spec.name: Required value',
    ]);
  });

  it('does not drop nulls inside lists: they fail the type check', () => {
    assert.deepEqual(
      causesFor({ tags: { type: 'array', items: { type: 'string' } } }, { tags: ['a', null] }),
      ['spec.tags[1]: Invalid value: "null": spec.tags[1] in body must be of type string: "null"'],
    );
  });
});

describe('type checks', () => {
  const types = {
    i: { type: 'integer' },
    n: { type: 'number' },
    b: { type: 'boolean' },
    s: { type: 'string' },
    o: { type: 'object' },
    a: { type: 'array', items: { type: 'string' } },
  };

  it('accepts matching values (integers are numbers too)', () => {
    assert.deepEqual(causesFor(types, { i: 3, n: 3, b: false, s: '', o: {}, a: [] }), []);
    assert.deepEqual(causesFor(types, { n: 2.5, i: 4.0 }), []);
  });

  it('names the JSON type it got, as kube does', () => {
    assert.deepEqual(causesFor(types, { i: 'string', n: '1', b: 1, s: 1.5, o: [], a: {} }), [
      'spec.i: Invalid value: "string": spec.i in body must be of type integer: "string"',
      'spec.n: Invalid value: "string": spec.n in body must be of type number: "string"',
      'spec.b: Invalid value: "integer": spec.b in body must be of type boolean: "integer"',
      'spec.s: Invalid value: "number": spec.s in body must be of type string: "number"',
      'spec.o: Invalid value: "array": spec.o in body must be of type object: "array"',
      'spec.a: Invalid value: "object": spec.a in body must be of type array: "object"',
    ]);
    const [cause] = applySchema(withSpec(types), resource({ i: 1.5 }), { fieldValidation: 'Strict' }).causes;
    assert.equal(cause?.reason, 'FieldValueTypeInvalid');
    assert.equal(cause?.message, 'Invalid value: "number": spec.i in body must be of type integer: "number"');
  });

  it('composes the 422 message kube sends', () => {
    const causes = applySchema(withSpec(types), resource({ i: 'x', b: 'y' }), {
      fieldValidation: 'Strict',
    }).causes;
    assert.equal(
      invalid('Widget', 'example.com', 'w', causes).message,
      'Widget.example.com "w" is invalid: [spec.i: Invalid value: "string": spec.i in body must be of type integer: "string", spec.b: Invalid value: "string": spec.b in body must be of type boolean: "string"]',
    );
  });

  it('accepts null only where nullable', () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'object', nullable: true }, b: { nullable: true } },
    };
    assert.deepEqual(validateValue(schema, { a: null, b: null }), []);
    assert.deepEqual(
      texts(validateValue({ type: 'object', properties: { a: { type: 'object' } } }, { a: null })),
      ['a: Invalid value: "null": a in body must be of type object: "null"'],
    );
  });

  it('treats x-kubernetes-int-or-string as integer or string', () => {
    const port = { port: { 'x-kubernetes-int-or-string': true } };
    assert.deepEqual(causesFor(port, { port: 80 }), []);
    assert.deepEqual(causesFor(port, { port: 'http' }), []);
    assert.deepEqual(causesFor(port, { port: true }), [
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    ]);
    assert.deepEqual(causesFor(port, { port: 1.5 }), [
      'spec.port: Invalid value: "number": spec.port in body must be of type integer,string: "number"',
    ]);
  });

  it('checks formats kube supports and ignores unknown ones', () => {
    const formats = {
      when: { type: 'string', format: 'date-time' },
      day: { type: 'string', format: 'date' },
      blob: { type: 'string', format: 'byte' },
      id: { type: 'string', format: 'uuid' },
      ip: { type: 'string', format: 'ipv4' },
      odd: { type: 'string', format: 'my-format' },
    };
    assert.deepEqual(
      causesFor(formats, {
        when: '2024-02-29T12:00:00Z',
        day: '2024-02-29',
        blob: 'YQ==',
        id: '123e4567-e89b-12d3-a456-426614174000',
        ip: '10.0.0.1',
        odd: '?',
      }),
      [],
    );
    assert.deepEqual(
      causesFor(formats, { when: 'yesterday', day: '2023-02-29', blob: 'YQ=', id: 'x', ip: '10.0.0.256' }),
      [
        'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
        'spec.day: Invalid value: "2023-02-29": spec.day in body must be of type date: "2023-02-29"',
        'spec.blob: Invalid value: "YQ=": spec.blob in body must be of type byte: "YQ="',
        'spec.id: Invalid value: "x": spec.id in body must be of type uuid: "x"',
        'spec.ip: Invalid value: "10.0.0.256": spec.ip in body must be of type ipv4: "10.0.0.256"',
      ],
    );
  });
});

describe('value rules', () => {
  it('reports required fields at their path', () => {
    assert.deepEqual(
      causesFor(
        { a: { type: 'object', required: ['inner'], properties: { inner: { type: 'string' } } } },
        { a: {} },
        { required: ['b'] },
      ),
      ['spec.a.inner: Required value', 'spec.b: Required value'],
    );
    const rootRequired = applySchema(
      { type: 'object', required: ['spec'], properties: { spec: { type: 'object' } } },
      resource(undefined),
      {
        fieldValidation: 'Strict',
      },
    );
    assert.deepEqual(texts(rootRequired.causes), ['spec: Required value']);
    assert.equal(rootRequired.causes[0]?.reason, 'FieldValueRequired');
  });

  it('lists the supported values of an enum', () => {
    const enums = {
      size: { type: 'string', enum: ['small', 'large'] },
      count: { type: 'integer', enum: [1, 2] },
    };
    assert.deepEqual(causesFor(enums, { size: 'small', count: 2 }), []);
    assert.deepEqual(causesFor(enums, { size: 'medium', count: 3 }), [
      'spec.size: Unsupported value: "medium": supported values: "small", "large"',
      'spec.count: Unsupported value: 3: supported values: "1", "2"',
    ]);
    assert.deepEqual(causesFor({ flag: { type: 'string', enum: ['a'] } }, { flag: true }), [
      'spec.flag: Invalid value: "boolean": spec.flag in body must be of type string: "boolean"',
      'spec.flag: Unsupported value: true: supported values: "a"',
    ]);
  });

  it('checks minimum and maximum, inclusive and exclusive, printing bounds the Go way', () => {
    const bounds = {
      replicas: { type: 'integer', minimum: 1, maximum: 10 },
      ratio: {
        type: 'number',
        minimum: 0.5,
        exclusiveMinimum: true,
        maximum: 1000000,
        exclusiveMaximum: true,
      },
    };
    assert.deepEqual(causesFor(bounds, { replicas: 10, ratio: 0.75 }), []);
    assert.deepEqual(causesFor(bounds, { replicas: 0, ratio: 0.5 }), [
      'spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1',
      'spec.ratio: Invalid value: 0.5: spec.ratio in body should be greater than 0.5',
    ]);
    assert.deepEqual(causesFor(bounds, { replicas: 11, ratio: 1000000.5 }), [
      'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10',
      'spec.ratio: Invalid value: 1.0000005e+06: spec.ratio in body should be less than 1e+06',
    ]);
  });

  it('checks multipleOf and the int32 range', () => {
    const numbers = {
      even: { type: 'integer', multipleOf: 2 },
      half: { type: 'number', multipleOf: 0.5 },
      small: { type: 'integer', format: 'int32' },
    };
    assert.deepEqual(causesFor(numbers, { even: 4, half: 1.5, small: 2147483647 }), []);
    assert.deepEqual(causesFor(numbers, { even: 3, half: 0.7, small: 2147483648 }), [
      'spec.even: Invalid value: 3: spec.even in body should be a multiple of 2',
      'spec.half: Invalid value: 0.7: spec.half in body should be a multiple of 0.5',
      '<nil>: Invalid value: "": Checked value must be of type integer with format int32 in spec.small',
    ]);
  });

  it('counts string length in characters and stops at the first failing string rule', () => {
    const strings = { name: { type: 'string', minLength: 2, maxLength: 3, pattern: '^[a-z]+$' } };
    assert.deepEqual(causesFor(strings, { name: 'héé' }), [
      'spec.name: Invalid value: "héé": spec.name in body should match \'^[a-z]+$\'',
    ]);
    assert.deepEqual(causesFor(strings, { name: 'abcd' }), [
      'spec.name: Too long: may not be more than 3 bytes',
    ]);
    assert.deepEqual(causesFor(strings, { name: 'a' }), [
      'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long',
    ]);
    assert.deepEqual(causesFor(strings, { name: 'abc' }), []);
    const [tooLong] = applySchema(withSpec(strings), resource({ name: 'abcd' }), {
      fieldValidation: 'Strict',
    }).causes;
    assert.equal(tooLong?.reason, 'FieldValueTooLong');
  });

  it("matches patterns with Go's regexp (RE2), as kube-openapi does", () => {
    const digits = { code: { type: 'string', pattern: '^[[:digit:]]+$' } };
    assert.deepEqual(causesFor(digits, { code: '0123' }), []);
    assert.deepEqual(causesFor(digits, { code: '12a' }), [
      'spec.code: Invalid value: "12a": spec.code in body should match \'^[[:digit:]]+$\'',
    ]);
    const letters = { name: { type: 'string', pattern: '^\\pL+(?i)-X$' } };
    assert.deepEqual(causesFor(letters, { name: 'héé-x' }), []);
    const line = { name: { type: 'string', pattern: '(?m)^b' } };
    assert.deepEqual(causesFor(line, { name: 'a\nb' }), []);
    assert.equal(causesFor(line, { name: 'a\rb' }).length, 1); // only \n ends a line
    assert.deepEqual(causesFor({ code: { type: 'string', pattern: 'a(?=b)' } }, { code: 'ab' }), [
      'spec.code: Invalid value: "ab": spec.code in body should match \'a(?=b), but pattern is invalid: ' +
        "error parsing regexp: invalid or unsupported Perl syntax: `(?=`'",
    ]);
  });

  it('matches a pattern in time linear in the value: (a+)+$ cannot hang a write', () => {
    const module = new URL('../../src/apiserver/schema.ts', import.meta.url).href;
    const output = outputWithinLimit(`
      const { validateValue } = await import(${JSON.stringify(module)});
      const schema = { type: 'string', pattern: '(a+)+$' };
      const causes = validateValue(schema, 'a'.repeat(10000) + '!', 'spec.name');
      process.stdout.write(String(causes.length));
    `);
    assert.equal(output, '1', 'killed at the time limit: the match backtracked');
  });

  it('checks item counts after the items themselves', () => {
    const list = { tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 } };
    assert.deepEqual(causesFor(list, { tags: [] }), [
      'spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items',
    ]);
    assert.deepEqual(causesFor(list, { tags: ['a', 1, 'c'] }), [
      'spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"',
      'spec.tags: Too many: 3: must have at most 2 items',
    ]);
    assert.deepEqual(
      causesFor({ one: { type: 'array', items: { type: 'string' }, maxItems: 1 } }, { one: ['a', 'b'] }),
      ['spec.one: Too many: 2: must have at most 1 item'],
    );
  });

  it('checks property counts, skipping the rest of the object when they fail', () => {
    const maps = {
      labels: {
        type: 'object',
        additionalProperties: { type: 'string' },
        minProperties: 1,
        maxProperties: 2,
      },
    };
    assert.deepEqual(causesFor(maps, { labels: {} }), [
      'spec.labels: Invalid value: 0: spec.labels in body should have at least 1 properties',
    ]);
    assert.deepEqual(causesFor(maps, { labels: { a: 1, b: 2, c: 3 } }), [
      'spec.labels: Too many: 3: must have at most 2 items',
    ]);
    assert.deepEqual(causesFor(maps, { labels: { a: 'x', b: 2 } }), [
      'spec.labels.b: Invalid value: "integer": spec.labels.b in body must be of type string: "integer"',
    ]);
  });

  it('refuses keys under additionalProperties: false', () => {
    assert.deepEqual(
      causesFor({ closed: { type: 'object', additionalProperties: false } }, { closed: { a: 1 } }),
      ['spec.closed: Invalid value: "a": spec.closed.a in body is a forbidden property'],
    );
  });

  it('reports allOf, anyOf, oneOf and not failures the way kube maps kube-openapi’s composite errors', () => {
    const anyOf = { v: { type: 'integer', anyOf: [{ minimum: 10 }, { maximum: 0 }] } };
    assert.deepEqual(causesFor(anyOf, { v: 20 }), []);
    assert.deepEqual(causesFor(anyOf, { v: 5 }), [
      '<nil>: Invalid value: "": "spec.v" must validate at least one schema (anyOf)',
      'spec.v: Invalid value: 5: spec.v in body should be greater than or equal to 10',
    ]);
    const allOf = { v: { type: 'string', allOf: [{ minLength: 2 }, { maxLength: 3 }] } };
    assert.deepEqual(causesFor(allOf, { v: 'a' }), [
      'spec.v: Invalid value: "a": spec.v in body should be at least 2 chars long',
      '<nil>: Invalid value: "": "spec.v" must validate all the schemas (allOf)',
    ]);
    const oneOf = { v: { type: 'integer', oneOf: [{ minimum: 0 }, { maximum: 10 }] } };
    assert.deepEqual(causesFor(oneOf, { v: 5 }), [
      '<nil>: Invalid value: "": "spec.v" must validate one and only one schema (oneOf). Found 2 valid alternatives',
    ]);
    assert.deepEqual(causesFor(oneOf, { v: 20 }), []);
    assert.deepEqual(causesFor({ v: { type: 'string', not: { enum: ['x'] } } }, { v: 'x' }), [
      '<nil>: Invalid value: "": "spec.v" must not validate the schema (not)',
    ]);
  });

  it('finds duplicates in set and map lists', () => {
    const lists = {
      set: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
      map: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, value: { type: 'string' } },
        },
      },
    };
    assert.deepEqual(causesFor(lists, { set: ['a', 'b'], map: [{ name: 'a' }, { name: 'b' }] }), []);
    const causes = applySchema(
      withSpec(lists),
      resource({
        set: ['a', 'b', 'a'],
        map: [
          { name: 'x', value: '1' },
          { name: 'x', value: '2' },
        ],
      }),
      {
        fieldValidation: 'Strict',
      },
    ).causes;
    assert.deepEqual(texts(causes), [
      'spec.set[2]: Duplicate value: "a"',
      'spec.map[1]: Duplicate value: map[string]interface {}{"name":"x"}',
    ]);
    assert.equal(causes[0]?.reason, 'FieldValueDuplicate');
  });

  it('requires apiVersion and kind on embedded resources and validates their metadata', () => {
    const embedded = {
      template: {
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        'x-kubernetes-preserve-unknown-fields': true,
      },
    };
    assert.deepEqual(
      causesFor(embedded, { template: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { a: 'b' } } } }),
      [],
    );
    assert.deepEqual(causesFor(embedded, { template: { metadata: { name: 'a/b' } } }), [
      'spec.template.apiVersion: Required value: must not be empty',
      'spec.template.kind: Required value: must not be empty',
      'spec.template.metadata.name: Invalid value: "a/b": may not contain \'/\'',
    ]);
    assert.deepEqual(causesFor(embedded, { template: { apiVersion: 'a/b/c', kind: 'Bad_Kind' } }), [
      'spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
      "spec.template.kind: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ]);
  });

  it('does not evaluate x-kubernetes-validations', () => {
    assert.deepEqual(
      causesFor({ a: { type: 'integer', 'x-kubernetes-validations': [{ rule: 'self > 100' }] } }, { a: 1 }),
      [],
    );
  });
});

describe('validateValue', () => {
  it('names errors after a base path, as kube does for default values', () => {
    const base = 'spec.validation.openAPIV3Schema.properties[spec].default';
    assert.deepEqual(texts(validateValue({ type: 'integer' }, 'x', base)), [
      `${base}: Invalid value: "string":  in body must be of type integer: "string"`,
    ]);
    assert.deepEqual(
      texts(
        validateValue({ type: 'object', properties: { a: { type: 'integer', minimum: 2 } } }, { a: 1 }, base),
      ),
      [`${base}.a: Invalid value: 1: a in body should be greater than or equal to 2`],
    );
  });
});

describe('schemas compiled once', () => {
  // A schema is compiled on first use and kept with its node; nothing about one object may reach the next.
  const shared = { type: 'string', pattern: '^[a-z]+$', maxLength: 5 };
  const schema = withSpec({
    first: shared,
    second: { type: 'object', additionalProperties: shared },
    list: { type: 'array', items: { type: 'object', properties: { name: shared } } },
    options: { type: 'object', default: { mode: 'safe' }, properties: { mode: { type: 'string' } } },
  });

  it('reports a node used in several places under the path of each use', () => {
    const spec = { first: 'A', second: { k: 'B' }, list: [{ name: 'ok' }, { name: 'C' }] };
    assert.deepEqual(texts(applySchema(schema, resource(spec), { fieldValidation: 'Strict' }).causes), [
      'spec.first: Invalid value: "A": spec.first in body should match \'^[a-z]+$\'',
      'spec.second.k: Invalid value: "B": spec.second.k in body should match \'^[a-z]+$\'',
      'spec.list[1].name: Invalid value: "C": spec.list[1].name in body should match \'^[a-z]+$\'',
    ]);
  });

  it('validates each object on its own: earlier errors and values leave no trace', () => {
    const bad = applySchema(schema, resource({ first: 'TOO-LONG', list: [{ name: 'X' }] }), {
      fieldValidation: 'Strict',
    });
    assert.equal(bad.causes.length, 2);
    const good = applySchema(schema, resource({ first: 'ok', list: [{ name: 'fine' }] }), {
      fieldValidation: 'Strict',
    });
    assert.deepEqual(good.causes, []);
  });

  it('gives every object its own copy of a default', () => {
    const one = applySchema(schema, resource({}), { fieldValidation: 'Strict' }).object;
    ((one['spec'] as Json)['options'] as Json)['mode'] = 'changed';
    const two = applySchema(schema, resource({}), { fieldValidation: 'Strict' }).object;
    assert.deepEqual((two['spec'] as Json)['options'], { mode: 'safe' });
  });

  it('keeps schemas apart, even when they look alike', () => {
    const lower = withSpec({ v: { type: 'string', enum: ['a'] } });
    const upper = withSpec({ v: { type: 'string', enum: ['A'] } });
    const object = resource({ v: 'a' });
    assert.deepEqual(applySchema(lower, object, { fieldValidation: 'Strict' }).causes, []);
    assert.deepEqual(texts(applySchema(upper, object, { fieldValidation: 'Strict' }).causes), [
      'spec.v: Unsupported value: "a": supported values: "A"',
    ]);
    assert.deepEqual(applySchema(lower, object, { fieldValidation: 'Strict' }).causes, []);
  });

  it('names values correctly after errors inside lists and subschemas', () => {
    const nested = withSpec({
      rows: {
        type: 'array',
        items: {
          type: 'object',
          properties: { n: { type: 'integer', anyOf: [{ minimum: 5 }, { maximum: 1 }] } },
        },
      },
      last: { type: 'integer' },
    });
    assert.deepEqual(
      texts(
        applySchema(nested, resource({ rows: [{ n: 3 }, { n: 7 }], last: 'x' }), {
          fieldValidation: 'Strict',
        }).causes,
      ),
      [
        '<nil>: Invalid value: "": "spec.rows[0].n" must validate at least one schema (anyOf)',
        'spec.rows[0].n: Invalid value: 3: spec.rows[0].n in body should be greater than or equal to 5',
        'spec.last: Invalid value: "string": spec.last in body must be of type integer: "string"',
      ],
    );
  });
});
