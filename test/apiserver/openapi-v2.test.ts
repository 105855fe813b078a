import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Schema } from '../../src/apiserver/openapi.ts';
import { openApiGroupVersion } from '../../src/apiserver/openapi.ts';
import { negotiateOpenApiV2, openApiV2Document } from '../../src/apiserver/openapi-v2.ts';
import { encodeOpenApiV2, yamlFlow } from '../../src/apiserver/openapi-v2-protobuf.ts';
import { ResourceRegistry } from '../../src/apiserver/resources.ts';
import { parse as parseYaml } from 'yaml';
import { widgetVersion } from '../helpers/discovery-routes.ts';
import { decodeOpenApiV2 } from '../helpers/independent-openapi-v2.ts';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** A CRD schema using every keyword the encoder writes, and each construct v2 rewrites. */
const GADGET_SCHEMA: Schema = {
  type: 'object',
  description: 'A gadget.',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: {
          type: 'integer',
          format: 'int32',
          minimum: 1,
          maximum: 10.5,
          exclusiveMaximum: true,
          exclusiveMinimum: true,
          multipleOf: 0.5,
          default: 3,
        },
        color: {
          type: 'string',
          title: 'Colour',
          enum: ['red', 'blue', 'with "quotes": and \\ backslash'],
          pattern: '^[a-z]+$',
          maxLength: 20,
          minLength: 2,
        },
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        note: { type: 'string', nullable: true },
        tags: {
          type: 'array',
          items: { type: 'string' },
          maxItems: 5,
          minItems: 1,
          uniqueItems: true,
          'x-kubernetes-list-type': 'set',
        },
        ports: {
          type: 'array',
          items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } },
          'x-kubernetes-list-map-keys': ['name'],
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-patch-merge-key': 'name',
          'x-kubernetes-patch-strategy': 'merge',
        },
        labels: {
          type: 'object',
          additionalProperties: { type: 'string' },
          maxProperties: 3,
          minProperties: 1,
        },
        closed: { type: 'object', additionalProperties: false },
        open: { type: 'object', additionalProperties: true },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { kind: { type: 'string' } },
        },
        empty: { type: 'object', properties: {} },
        exclusive: {
          oneOf: [{ required: ['a'] }, { required: ['b'] }],
          not: { required: ['c'] },
          type: 'object',
        },
        text: {
          type: 'string',
          description: 'Odd characters: \u0085 \u2028 \u007f "quoted" \\ \n tab\t é 🚀',
          default: 'a\u2028b\u0085c: d # not a comment',
          readOnly: true,
          discriminator: 'kind',
          externalDocs: { description: 'More', url: 'https://example.com/docs' },
          example: { a: [1, 'x', null, true, 2.5], 'b: c': {} },
          xml: { name: 'n', namespace: 'ns', prefix: 'p', attribute: true, wrapped: true },
        },
      },
    },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

function registryWithCrds(): ResourceRegistry {
  const registry = new ResourceRegistry();
  registry.setCustomResource('widgets.example.com', [widgetVersion('v1')]);
  registry.setCustomResource('gadgets.example.com', [
    widgetVersion('v1', {
      kind: 'Gadget',
      listKind: 'GadgetList',
      plural: 'gadgets',
      singular: 'gadget',
      shortNames: [],
      crd: { name: 'gadgets.example.com', printerColumns: [], schema: GADGET_SCHEMA },
    }),
  ]);
  registry.setCustomResource('blobs.example.org', [
    widgetVersion('v1alpha1', {
      group: 'example.org',
      kind: 'Blob',
      listKind: 'BlobList',
      plural: 'blobs',
      singular: 'blob',
      shortNames: [],
      crd: {
        name: 'blobs.example.org',
        printerColumns: [],
        schema: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } },
        },
      },
    }),
  ]);
  return registry;
}

/** JSON's view of a value (undefined members gone), which is what the protobuf must carry. */
function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function walk(schema: unknown, visit: (node: Record<string, unknown>, path: string) => void, path: string) {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return;
  const node = schema as Record<string, unknown>;
  visit(node, path);
  if (typeof node['properties'] === 'object' && node['properties'] !== null) {
    for (const [name, property] of Object.entries(node['properties']))
      walk(property, visit, `${path}.${name}`);
  }
  const items = node['items'];
  for (const item of Array.isArray(items) ? items : [items]) walk(item, visit, `${path}[]`);
  walk(node['additionalProperties'], visit, `${path}{}`);
  for (const key of ['allOf', 'oneOf', 'anyOf']) {
    if (Array.isArray(node[key])) for (const part of node[key]) walk(part, visit, `${path}.${key}`);
  }
}

/**
 * What kube-openapi's v2 parser (pkg/util/proto, the models kubectl validates with) refuses, and what would
 * make kubectl's client-side validation wrong: unresolved or typed references, arrays without exactly one
 * item schema, several types, unknown primitive types, OpenAPI 3-only keywords.
 */
function kubectlParseProblems(definitions: Record<string, Schema>): string[] {
  const problems: string[] = [];
  for (const [name, definition] of Object.entries(definitions)) {
    walk(
      definition,
      (node, path) => {
        const ref = node['$ref'];
        const types = node['type'] === undefined ? [] : [node['type']].flat();
        if (typeof ref === 'string') {
          if (!ref.startsWith('#/definitions/')) problems.push(`${path}: reference ${ref}`);
          else if (!(ref.slice('#/definitions/'.length) in definitions))
            problems.push(`${path}: dangling ${ref}`);
          if (types.length > 0) problems.push(`${path}: typed reference`);
          if (node['properties'] !== undefined) problems.push(`${path}: reference with properties`);
          return;
        }
        if (types.length > 1) problems.push(`${path}: several types`);
        const [type] = types;
        if (type === 'array' && (Array.isArray(node['items']) || typeof node['items'] !== 'object'))
          problems.push(`${path}: array without one item schema`);
        if (
          type !== undefined &&
          !['object', 'array', 'string', 'number', 'integer', 'boolean'].includes(type as string)
        )
          problems.push(`${path}: type ${JSON.stringify(type)}`);
        for (const key of ['nullable', 'oneOf', 'anyOf', 'not', 'allOf'])
          if (key in node) problems.push(`${path}: ${key}`);
      },
      name,
    );
  }
  return problems;
}

test('the v2 document holds every served kind, findable by x-kubernetes-group-version-kind', () => {
  const registry = registryWithCrds();
  const document = openApiV2Document(registry);
  assert.equal(document.swagger, '2.0');
  assert.deepEqual(document.paths, {});
  const names = Object.keys(document.definitions);
  assert.deepEqual(names, [...names].sort(), 'definitions sorted by name');
  const kinds = new Map<string, string>();
  for (const [name, schema] of Object.entries(document.definitions)) {
    const gvks = (schema['x-kubernetes-group-version-kind'] ?? []) as {
      group: string;
      version: string;
      kind: string;
    }[];
    for (const gvk of gvks) kinds.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
  }
  for (const info of registry.all()) {
    assert.ok(kinds.has(`${info.group}/${info.version}/${info.kind}`), `${info.kind} findable`);
    assert.ok(kinds.has(`${info.group}/${info.version}/${info.listKind}`), `${info.listKind} findable`);
  }
  assert.equal(kinds.get('/v1/Secret'), 'io.k8s.api.core.v1.Secret');
  assert.equal(
    kinds.get('rbac.authorization.k8s.io/v1/ClusterRoleBinding'),
    'io.k8s.api.rbac.v1.ClusterRoleBinding',
  );
  assert.equal(kinds.get('example.com/v1/Widget'), 'com.example.v1.Widget');
  // Every v3 schema of every group-version is here.
  for (const { group, version } of registry.groupVersions()) {
    const v3 = openApiGroupVersion(registry, group, version);
    for (const name of Object.keys(v3?.components.schemas ?? {}))
      assert.ok(name in document.definitions, name);
  }
  assert.deepEqual(kubectlParseProblems(document.definitions), []);
});

test('references point at #/definitions and keep their siblings; extensions stay', () => {
  const { definitions } = openApiV2Document(new ResourceRegistry());
  assert.doesNotMatch(JSON.stringify(definitions), /#\/components\//);
  const secret = definitions['io.k8s.api.core.v1.Secret'] as { properties: Record<string, Schema> };
  assert.deepEqual(secret.properties['metadata'], {
    $ref: `#/definitions/${META}.ObjectMeta`,
    default: {},
    description: "Standard object's metadata.",
  });
  const objectMeta = definitions[`${META}.ObjectMeta`] as { properties: Record<string, Schema> };
  assert.deepEqual(objectMeta.properties['ownerReferences'], {
    type: 'array',
    items: { $ref: `#/definitions/${META}.OwnerReference`, default: {} },
    description: 'Objects this one depends on; it is garbage collected when they are all gone.',
    'x-kubernetes-list-map-keys': ['uid'],
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-patch-merge-key': 'uid',
    'x-kubernetes-patch-strategy': 'merge',
  });
  const webhooks = definitions['io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration'] as {
    properties: Record<string, Schema>;
  };
  assert.equal(webhooks.properties['webhooks']?.['x-kubernetes-patch-merge-key'], 'name');
});

test('CRD schemas are rewritten for v2 as apiextensions-apiserver publishes them', () => {
  const { definitions } = openApiV2Document(registryWithCrds());
  const gadget = definitions['com.example.v1.Gadget'] as { properties: Record<string, Schema> };
  const spec = gadget.properties['spec'] as { required: string[]; properties: Record<string, Schema> };
  assert.deepEqual(spec.required, ['size']);
  // int-or-string: no type; anyOf gone.
  assert.deepEqual(spec.properties['port'], { 'x-kubernetes-int-or-string': true });
  // nullable: no type (kubectl would refuse null).
  assert.deepEqual(spec.properties['note'], {});
  // Embedded resources and preserved unknown fields: no type, no properties.
  assert.deepEqual(spec.properties['template'], {
    'x-kubernetes-embedded-resource': true,
    'x-kubernetes-preserve-unknown-fields': true,
  });
  assert.deepEqual(spec.properties['exclusive'], { type: 'object' });
  assert.deepEqual(gadget.properties['status'], { 'x-kubernetes-preserve-unknown-fields': true });
  assert.deepEqual(Object.keys(gadget.properties).sort(), [
    'apiVersion',
    'kind',
    'metadata',
    'spec',
    'status',
  ]);
  // A kind that keeps unknown fields at its root is a bare object.
  assert.deepEqual(definitions['org.example.v1alpha1.Blob'], {
    type: 'object',
    'x-kubernetes-group-version-kind': [{ group: 'example.org', kind: 'Blob', version: 'v1alpha1' }],
  });
  assert.deepEqual(kubectlParseProblems(definitions), []);
});

test('the protobuf decodes, with a reader written from OpenAPIv2.proto, to the JSON document', () => {
  const document = openApiV2Document(registryWithCrds(), { serverVersion: 'v1.32.0+cloak' });
  const bytes = encodeOpenApiV2(document);
  const decoded = decodeOpenApiV2(bytes);
  assert.equal(decoded.swagger, '2.0');
  assert.deepEqual(decoded.info, { title: 'Kubernetes', version: 'v1.32.0+cloak' });
  assert.deepEqual(decoded.paths, { present: true, count: 0 });
  assert.deepEqual(
    decoded.definitions.map(([name]) => name),
    Object.keys(document.definitions),
  );
  assert.deepEqual(Object.fromEntries(decoded.definitions), asJson(document.definitions));
});

test('proto3 rules: zero scalars absent, false additionalProperties and empty properties present', () => {
  const decoded = decodeOpenApiV2(
    encodeOpenApiV2({
      swagger: '2.0',
      info: { title: 'Kubernetes', version: 'x' },
      paths: {},
      definitions: {
        z: {
          type: 'object',
          properties: {},
          additionalProperties: false,
          minimum: 0,
          maxLength: 0,
          uniqueItems: false,
          description: '',
        },
      },
    }),
  );
  // kube-openapi reads an object with (even empty) properties as a kind, without them as a map.
  assert.deepEqual(decoded.definitions, [
    ['z', { type: 'object', properties: {}, additionalProperties: false }],
  ]);
});

test('vendor extensions and defaults are YAML that reads back as the same value', () => {
  const values: unknown[] = [
    [{ group: '', kind: 'Secret', version: 'v1' }],
    {},
    [],
    'a\u2028b\u0085c: d # x',
    'yes',
    'null',
    '0x1F',
    '',
    -0.5,
    1e21,
    { 'key: with colon': ['- dash', '{brace}', '*star', '&amp'] },
    true,
    null,
  ];
  for (const value of values)
    assert.deepEqual(parseYaml(yamlFlow(value), { version: '1.1' }), value, yamlFlow(value));
  // yaml.v2 (libyaml) folds NEL, LS and PS as line breaks and refuses other controls: they go escaped.
  assert.equal(
    yamlFlow('a\u0085b\u2028c\u2029d\u007fe\ufefff\u009f'),
    String.raw`"a\u0085b\u2028c\u2029d\u007fe\ufefff\u009f"`,
  );
  assert.equal(yamlFlow({ a: [1, 'b'], c: {} }), '{"a": [1, "b"], "c": {}}');
});

test('Accept: protobuf under either media type, JSON for JSON and wildcards, else nothing', () => {
  assert.equal(negotiateOpenApiV2('application/com.github.proto-openapi.spec.v2@v1.0+protobuf'), 'protobuf');
  assert.equal(negotiateOpenApiV2('application/com.github.proto-openapi.spec.v2.v1.0+protobuf'), 'protobuf');
  assert.equal(negotiateOpenApiV2('application/json, */*'), 'json');
  assert.equal(negotiateOpenApiV2(undefined), 'json');
  assert.equal(negotiateOpenApiV2('*/*'), 'json');
  assert.equal(
    negotiateOpenApiV2('application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf'),
    'protobuf',
  );
  assert.equal(negotiateOpenApiV2('text/html'), undefined);
  assert.equal(negotiateOpenApiV2('application/json;q=0'), undefined);
});
