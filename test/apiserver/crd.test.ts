import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  crdCreateStatus,
  crdDefaults,
  crdResourceInfos,
  crdStatus,
  isCrdEstablished,
  storageVersionOf,
  validateCrd,
  validateCrdUpdate,
} from '../../src/apiserver/crd.ts';
import { type Cause, causeText } from '../../src/apiserver/field-errors.ts';
import { customResourcePrefix, STANDARD_VERBS } from '../../src/apiserver/resources.ts';
import { invalid } from '../../src/apiserver/status.ts';

type Json = Record<string, unknown>;
const texts = (causes: readonly Cause[]): string[] => causes.map(causeText);

const SCHEMA: Json = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: { replicas: { type: 'integer', default: 1 }, image: { type: 'string' } },
    },
    status: { type: 'object', properties: { ready: { type: 'boolean' } } },
  },
};

function version(name: string, fields: Json = {}): Json {
  return { name, served: true, storage: false, schema: { openAPIV3Schema: SCHEMA }, ...fields };
}

function crd(spec: Json = {}, metadata: Json = {}): Json {
  return crdDefaults({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com', ...metadata },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget', shortNames: ['wg'], categories: ['all'] },
      versions: [version('v1', { storage: true })],
      ...spec,
    },
  });
}

function withSchema(schema: Json): Json {
  return crd({ versions: [version('v1', { storage: true, schema: { openAPIV3Schema: schema } })] });
}

const ROOT = 'spec.validation.openAPIV3Schema';

describe('crdDefaults', () => {
  it('fills singular, listKind, the None conversion and the stored version', () => {
    const defaulted = crdDefaults({
      spec: { names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', storage: true }] },
    });
    assert.deepEqual(defaulted['spec'], {
      names: { plural: 'widgets', kind: 'Widget', singular: 'widget', listKind: 'WidgetList' },
      versions: [{ name: 'v1', storage: true }],
      conversion: { strategy: 'None' },
    });
    assert.deepEqual(defaulted['status'], { storedVersions: ['v1'] });
  });

  it('keeps what is set, and defaults a webhook service port to 443', () => {
    const conversion = {
      strategy: 'Webhook',
      webhook: { clientConfig: { service: { name: 's', namespace: 'n' } }, conversionReviewVersions: ['v1'] },
    };
    const defaulted = crdDefaults({
      spec: { names: { kind: 'Widget', singular: 'w', listKind: 'Widgets' }, conversion },
      status: { storedVersions: ['v0'] },
    });
    const spec = defaulted['spec'] as Json;
    assert.deepEqual(spec['names'], { kind: 'Widget', singular: 'w', listKind: 'Widgets' });
    assert.deepEqual(spec['conversion'], {
      strategy: 'Webhook',
      webhook: {
        clientConfig: { service: { name: 's', namespace: 'n', port: 443 } },
        conversionReviewVersions: ['v1'],
      },
    });
    assert.deepEqual(defaulted['status'], { storedVersions: ['v0'] });
  });

  it('gives a created CRD empty accepted names and its storage version', () => {
    assert.deepEqual(crdCreateStatus(crd()), {
      acceptedNames: { plural: '', kind: '' },
      storedVersions: ['v1'],
    });
    assert.equal(storageVersionOf(crd()), 'v1');
  });
});

describe('validateCrd', () => {
  it('accepts a well-formed CRD', () => {
    assert.deepEqual(validateCrd(crd()), []);
    const twoVersions = crd({
      versions: [version('v1', { storage: true }), version('v2', { served: false })],
    });
    assert.deepEqual(validateCrd(twoVersions), []);
  });

  it('requires the name to be <plural>.<group>', () => {
    const causes = validateCrd(crd({}, { name: 'gadgets.example.com' }));
    assert.deepEqual(texts(causes), [
      'metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group',
    ]);
    const error = invalid('CustomResourceDefinition', 'apiextensions.k8s.io', 'gadgets.example.com', causes);
    assert.equal(
      error.message,
      'CustomResourceDefinition.apiextensions.k8s.io "gadgets.example.com" is invalid: metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group',
    );
  });

  it('requires a group with a dot', () => {
    assert.deepEqual(texts(validateCrd(crd({ group: 'example' }, { name: 'widgets.example' }))), [
      'spec.group: Invalid value: "example": should be a domain with at least one dot',
    ]);
    const missing = texts(validateCrd(crd({ group: '' }, { name: 'widgets.' })));
    assert.ok(missing.includes('spec.group: Required value'), missing.join('\n'));
    const bad = texts(validateCrd(crd({ group: 'Example.com' }, { name: 'widgets.Example.com' })));
    assert.ok(
      bad.some((text) =>
        text.startsWith('spec.group: Invalid value: "Example.com": a lowercase RFC 1123 subdomain'),
      ),
      bad.join('\n'),
    );
  });

  it('requires scope Namespaced or Cluster', () => {
    assert.deepEqual(texts(validateCrd(crd({ scope: '' }))), ['spec.scope: Required value']);
    assert.deepEqual(texts(validateCrd(crd({ scope: 'Global' }))), [
      'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
    ]);
  });

  it('requires exactly one storage version, and prints spec.versions the Go way', () => {
    const none = texts(validateCrd(crd({ versions: [version('v1')] })));
    assert.deepEqual(none, [
      'spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{apiextensions.CustomResourceDefinitionVersion{Name:"v1", Served:true, Storage:false, Deprecated:false, DeprecationWarning:(*string)(nil), Schema:(*apiextensions.CustomResourceValidation)(nil), Subresources:(*apiextensions.CustomResourceSubresources)(nil), AdditionalPrinterColumns:[]apiextensions.CustomResourceColumnDefinition(nil), SelectableFields:[]apiextensions.SelectableField(nil)}}: must have exactly one version marked as storage version',
      'status.storedVersions: Invalid value: []string(nil): must have at least one stored version',
    ]);
    const two = texts(
      validateCrd(crd({ versions: [version('v1', { storage: true }), version('v2', { storage: true })] })),
    );
    // kube's create strategy stores only the first storage version, so the second one is also reported missing.
    assert.equal(two.length, 2);
    assert.match(
      two[0] ?? '',
      /^spec\.versions: Invalid value: \[\]apiextensions\.CustomResourceDefinitionVersion\{.*Name:"v2".*\}: must have exactly one version marked as storage version$/,
    );
    assert.match(
      two[1] ?? '',
      /^status\.storedVersions: Invalid value: apiextensions\.CustomResourceDefinitionVersion\{Name:"v2".*\}: must have the storage version v2$/,
    );
    const empty = texts(validateCrd(crd({ versions: [] })));
    assert.ok(
      empty.includes(
        'spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion(nil): must have exactly one version marked as storage version',
      ),
      empty.join('\n'),
    );
  });

  it('requires unique version names that are DNS-1035 labels', () => {
    const causes = texts(validateCrd(crd({ versions: [version('v1', { storage: true }), version('v1')] })));
    assert.equal(causes.length, 1);
    assert.match(causes[0] ?? '', /: must contain unique version names$/);
    const badName = texts(validateCrd(crd({ versions: [version('V1', { storage: true })] })));
    assert.ok(
      badName[0]?.startsWith('spec.versions[0].name: Invalid value: "V1": a DNS-1035 label must consist of'),
      badName.join('\n'),
    );
  });

  it('requires a schema in every version', () => {
    const causes = texts(
      validateCrd(
        crd({ versions: [version('v1', { storage: true }), { name: 'v2', served: true, storage: false }] }),
      ),
    );
    assert.deepEqual(causes, [
      'spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required',
    ]);
  });

  it('reports a schema shared by all versions at spec.validation, and per-version schemas at spec.versions[i]', () => {
    const shared = withSchema({ type: 'object', properties: { spec: {} } });
    assert.deepEqual(texts(validateCrd(shared)), [
      `${ROOT}.properties[spec].type: Required value: must not be empty for specified object fields`,
    ]);
    const differing = crd({
      versions: [
        version('v1', { storage: true }),
        version('v2', { schema: { openAPIV3Schema: { type: 'object', properties: { spec: {} } } } }),
      ],
    });
    assert.deepEqual(texts(validateCrd(differing)), [
      'spec.versions[1].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
    ]);
  });

  it('requires the names and checks their form', () => {
    const missing = crdDefaults({
      metadata: { name: '.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Cluster',
        names: {},
        versions: [version('v1', { storage: true })],
      },
    });
    const causes = texts(validateCrd(missing));
    for (const field of ['plural', 'singular', 'kind', 'listKind'])
      assert.ok(causes.includes(`spec.names.${field}: Required value`), field);

    const bad = texts(
      validateCrd(
        crd(
          {
            names: {
              plural: 'Widgets',
              singular: 'widget',
              kind: 'Wid_get',
              listKind: 'Wid_get',
              shortNames: ['W'],
              categories: ['All'],
            },
          },
          { name: 'Widgets.example.com' },
        ),
      ),
    );
    const starts = (prefix: string) =>
      assert.ok(
        bad.some((text) => text.startsWith(prefix)),
        `${prefix}\n${bad.join('\n')}`,
      );
    starts('spec.names.plural: Invalid value: "Widgets": a DNS-1035 label must consist of');
    starts(
      'spec.names.kind: Invalid value: "Wid_get": may have mixed case, but should otherwise match: a DNS-1035 label',
    );
    starts('spec.names.listKind: Invalid value: "Wid_get": may have mixed case, but should otherwise match:');
    starts('spec.names.listKind: Invalid value: "Wid_get": kind and listKind may not be the same');
    starts('spec.names.shortNames[0]: Invalid value: "W": a DNS-1035 label');
    starts('spec.names.categories[0]: Invalid value: "All": a DNS-1035 label');
  });

  it('checks status.acceptedNames like spec.names', () => {
    const withStatus = { ...crd(), status: { acceptedNames: { plural: 'Bad' } } };
    assert.ok(
      texts(validateCrd(withStatus))[0]?.startsWith('status.acceptedNames.plural: Invalid value: "Bad"'),
    );
  });

  it('refuses preserveUnknownFields: true', () => {
    assert.deepEqual(texts(validateCrd(crd({ preserveUnknownFields: true }))), [
      'spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-preserve-unknown-fields to true in spec.versions[*].schema instead',
    ]);
  });

  it('checks the conversion strategy and webhook settings', () => {
    assert.deepEqual(texts(validateCrd(crd({ conversion: { strategy: 'Magic' } }))), [
      'spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", "Webhook"',
    ]);
    assert.deepEqual(texts(validateCrd(crd({ conversion: { strategy: 'Webhook' } }))), [
      'spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook',
      'spec.conversion.conversionReviewVersions: Required value',
    ]);
    const webhook = (clientConfig: Json, conversionReviewVersions: string[]) =>
      crd({ conversion: { strategy: 'Webhook', webhook: { clientConfig, conversionReviewVersions } } });
    assert.deepEqual(validateCrd(webhook({ url: 'https://x' }, ['v1'])), []);
    assert.deepEqual(texts(validateCrd(webhook({}, ['v2', 'v2']))), [
      'spec.conversion.webhookClientConfig: Required value: exactly one of url or service is required',
      'spec.conversion.conversionReviewVersions[1]: Invalid value: "v2": duplicate version',
      'spec.conversion.conversionReviewVersions: Invalid value: []string{"v2", "v2"}: must include at least one of v1, v1beta1',
    ]);
    assert.deepEqual(
      texts(
        validateCrd(
          crd({
            conversion: {
              strategy: 'None',
              webhook: { clientConfig: { url: 'https://x' }, conversionReviewVersions: ['v1'] },
            },
          }),
        ),
      ),
      [
        'spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook',
        'spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook',
      ],
    );
  });

  it('checks printer columns and the scale subresource', () => {
    const columns = [
      { name: 'Ready', type: 'boolean', jsonPath: '.status.ready' },
      { name: '', type: 'text', format: 'fancy', jsonPath: 'status' },
      { name: 'X', type: '', jsonPath: '' },
    ];
    const subresources = {
      scale: {
        specReplicasPath: '.status.replicas',
        statusReplicasPath: '',
        labelSelectorPath: '.metadata.labels',
      },
    };
    assert.deepEqual(
      texts(
        validateCrd(
          crd({
            versions: [version('v1', { storage: true, additionalPrinterColumns: columns, subresources })],
          }),
        ),
      ),
      [
        'spec.subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec',
        'spec.subresources.scale.statusReplicasPath: Required value',
        'spec.subresources.scale.labelSelectorPath: Invalid value: ".metadata.labels": should be a json path under either .spec or .status',
        'spec.additionalPrinterColumns[1].name: Required value',
        'spec.additionalPrinterColumns[1].type: Invalid value: "text": must be one of boolean,date,integer,number,string',
        'spec.additionalPrinterColumns[1].format: Invalid value: "fancy": must be one of byte,date,date-time,double,float,int32,int64,password',
        'spec.additionalPrinterColumns[1].JSONPath: Invalid value: "status": must be a simple json path starting with .',
        'spec.additionalPrinterColumns[2].type: Required value: must be one of boolean,date,integer,number,string',
        'spec.additionalPrinterColumns[2].JSONPath: Required value',
      ],
    );
  });

  it('checks deprecation warnings', () => {
    assert.deepEqual(
      texts(validateCrd(crd({ versions: [version('v1', { storage: true, deprecationWarning: 'old' })] }))),
      ['spec.versions[0].deprecationWarning: Invalid value: "old": can only be set for deprecated versions'],
    );
    assert.deepEqual(
      validateCrd(
        crd({ versions: [version('v1', { storage: true, deprecated: true, deprecationWarning: 'old' })] }),
      ),
      [],
    );
    assert.deepEqual(
      texts(
        validateCrd(
          crd({
            versions: [
              version('v1', { storage: true, deprecated: true, deprecationWarning: 'x'.repeat(257) }),
            ],
          }),
        ),
      ),
      [
        `spec.versions[0].deprecationWarning: Invalid value: "${'x'.repeat(257)}": must be <= 256 characters long`,
      ],
    );
  });

  it('needs the API approval annotation for k8s.io groups', () => {
    const protectedCrd = (annotations: Json) =>
      crd({ group: 'widgets.k8s.io' }, { name: 'widgets.widgets.k8s.io', annotations });
    assert.deepEqual(texts(validateCrd(protectedCrd({}))), [
      'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
    ]);
    assert.deepEqual(texts(validateCrd(protectedCrd({ 'api-approved.kubernetes.io': 'yes' }))), [
      'metadata.annotations[api-approved.kubernetes.io]: Invalid value: "yes": protected groups must have approval annotation "api-approved.kubernetes.io" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111',
    ]);
    assert.deepEqual(
      validateCrd(
        protectedCrd({ 'api-approved.kubernetes.io': 'https://github.com/kubernetes/kubernetes/pull/1' }),
      ),
      [],
    );
    assert.deepEqual(
      validateCrd(protectedCrd({ 'api-approved.kubernetes.io': 'unapproved, experimental' })),
      [],
    );
  });
});

describe('validateCrd: openAPIV3Schema', () => {
  it('requires an object type at the root', () => {
    assert.deepEqual(texts(validateCrd(withSchema({ properties: {} }))), [
      `${ROOT}.type: Required value: must not be empty at the root`,
    ]);
    assert.deepEqual(texts(validateCrd(withSchema({ type: 'string' }))), [
      `${ROOT}.type: Invalid value: "string": must be object at the root`,
    ]);
    assert.deepEqual(texts(validateCrd(withSchema({ type: 'object', nullable: true }))), [
      `${ROOT}.nullable: Forbidden: nullable cannot be true at the root`,
    ]);
  });

  it('requires types on fields and items, and items on arrays, sorted as kube sorts them', () => {
    const schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { b: { type: 'array' }, a: {}, c: { type: 'array', items: {} } },
        },
      },
    };
    assert.deepEqual(texts(validateCrd(withSchema(schema))), [
      `${ROOT}.properties[spec].properties[a].type: Required value: must not be empty for specified object fields`,
      `${ROOT}.properties[spec].properties[b].items: Required value: must be specified`,
      `${ROOT}.properties[spec].properties[c].items.type: Required value: must not be empty for specified array items`,
    ]);
  });

  it('lets int-or-string and preserve-unknown-fields go without a type', () => {
    const schema = {
      type: 'object',
      properties: {
        port: { 'x-kubernetes-int-or-string': true },
        raw: { 'x-kubernetes-preserve-unknown-fields': true },
      },
    };
    assert.deepEqual(validateCrd(withSchema(schema)), []);
    const both = {
      type: 'object',
      properties: {
        port: { 'x-kubernetes-int-or-string': true, 'x-kubernetes-preserve-unknown-fields': true },
      },
    };
    assert.deepEqual(texts(validateCrd(withSchema(both))), [
      `${ROOT}.properties[port].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true`,
    ]);
  });

  it('restricts the root metadata schema to name and generateName', () => {
    assert.deepEqual(
      validateCrd(
        withSchema({
          type: 'object',
          properties: {
            metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 10 } } },
          },
        }),
      ),
      [],
    );
    assert.deepEqual(
      texts(
        validateCrd(
          withSchema({
            type: 'object',
            properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } },
          }),
        ),
      ),
      [
        `${ROOT}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
      ],
    );
    assert.deepEqual(
      texts(validateCrd(withSchema({ type: 'object', properties: { kind: { type: 'integer' } } }))),
      [`${ROOT}.properties[kind].type: Invalid value: "integer": must be string`],
    );
  });

  it('forbids additionalProperties at the root and together with properties', () => {
    assert.deepEqual(
      texts(validateCrd(withSchema({ type: 'object', additionalProperties: { type: 'string' } }))),
      [`${ROOT}.additionalProperties: Forbidden: must not be used at the root`],
    );
    const both = {
      type: 'object',
      properties: {
        spec: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
      },
    };
    assert.deepEqual(texts(validateCrd(withSchema(both))), [
      `${ROOT}.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    ]);
  });

  it('forbids keywords kube does not support, a null type and uniqueItems', () => {
    const schema = {
      type: 'object',
      properties: {
        spec: { type: 'object', $ref: '#/x', uniqueItems: true, properties: { a: { type: 'null' } } },
      },
    };
    assert.deepEqual(texts(validateCrd(withSchema(schema))), [
      `${ROOT}.properties[spec].$ref: Forbidden: $ref is not supported`,
      `${ROOT}.properties[spec].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
      `${ROOT}.properties[spec].properties[a].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string"`,
      `${ROOT}.properties[spec].properties[a].type: Forbidden: type cannot be set to null, use nullable as an alternative`,
    ]);
    assert.deepEqual(
      texts(
        validateCrd(
          withSchema({
            type: 'object',
            properties: { a: { type: 'string', 'x-kubernetes-preserve-unknown-fields': false } },
          }),
        ),
      ),
      [
        `${ROOT}.properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
      ],
    );
  });

  it('checks list types', () => {
    const listMap = {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      items: { type: 'object', properties: { name: { type: 'string' } } },
    };
    assert.deepEqual(texts(validateCrd(withSchema({ type: 'object', properties: { list: listMap } }))), [
      `${ROOT}.properties[list].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
    ]);
    const keyed = { ...listMap, 'x-kubernetes-list-map-keys': ['name'] };
    assert.deepEqual(texts(validateCrd(withSchema({ type: 'object', properties: { list: keyed } }))), [
      `${ROOT}.properties[list].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
    ]);
    const good = { ...keyed, items: { ...listMap.items, required: ['name'] } };
    assert.deepEqual(validateCrd(withSchema({ type: 'object', properties: { list: good } })), []);
    assert.deepEqual(
      texts(
        validateCrd(
          withSchema({
            type: 'object',
            properties: {
              list: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'bag' },
            },
          }),
        ),
      ),
      [
        `${ROOT}.properties[list].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map"`,
      ],
    );
  });

  it('checks embedded resource schemas', () => {
    const schema = {
      type: 'object',
      properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true } },
    };
    assert.deepEqual(texts(validateCrd(withSchema(schema))), [
      `${ROOT}.properties[template].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
    ]);
    const preserved = {
      type: 'object',
      properties: {
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    };
    assert.deepEqual(validateCrd(withSchema(preserved)), []);
  });

  it('checks the shape of x-kubernetes-validations without evaluating them', () => {
    const rules = [{ rule: 'self.a > 0' }, { rule: ' ' }, { rule: 'true', message: 'a\nb' }];
    assert.deepEqual(texts(validateCrd(withSchema({ type: 'object', 'x-kubernetes-validations': rules }))), [
      `${ROOT}.x-kubernetes-validations[1].rule: Required value: rule is not specified`,
      `${ROOT}.x-kubernetes-validations[2].message: Invalid value: "a\\nb": message must not contain line breaks`,
    ]);
  });

  it('forbids structure inside allOf/anyOf/oneOf/not, except the int-or-string pattern', () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'string', anyOf: [{ type: 'string', description: 'x' }, { maxLength: 2 }] } },
    };
    assert.deepEqual(texts(validateCrd(withSchema(schema))), [
      `${ROOT}.properties[a].anyOf[0].description: Forbidden: must be empty to be structural`,
      `${ROOT}.properties[a].anyOf[0].type: Forbidden: must be empty to be structural`,
    ]);
    const intOrString = {
      type: 'object',
      properties: {
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      },
    };
    assert.deepEqual(validateCrd(withSchema(intOrString)), []);
  });

  it("checks patterns with Go's regexp.Compile: RE2 syntax passes, what Go refuses is refused with Go's message", () => {
    const withPattern = (pattern: string): Json =>
      withSchema({ type: 'object', properties: { code: { type: 'string', pattern } } });
    assert.deepEqual(validateCrd(withPattern('^[[:digit:]]+$')), []);
    assert.deepEqual(validateCrd(withPattern('^\\pL+(?i)x$')), []);
    assert.deepEqual(texts(validateCrd(withPattern('a(?=b)'))), [
      `${ROOT}.properties[code].pattern: Invalid value: "a(?=b)": must be a valid regular expression, but isn't: ` +
        'error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    ]);
  });

  it('requires defaults to validate and to be pruned, and forbids them in top-level metadata', () => {
    const schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            replicas: { type: 'integer', default: 'two' },
            limits: {
              type: 'object',
              properties: { cpu: { type: 'string' } },
              default: { cpu: '1', memory: '1Gi' },
            },
            size: { type: 'string', enum: ['s', 'm'], default: 'm' },
          },
        },
      },
    };
    assert.deepEqual(texts(validateCrd(withSchema(schema))), [
      `${ROOT}.properties[spec].properties[replicas].default: Invalid value: "string":  in body must be of type integer: "string"`,
      `${ROOT}.properties[spec].properties[limits].default: Invalid value: map[string]interface {}{"cpu":"1", "memory":"1Gi"}: must not have unknown fields`,
    ]);
    assert.deepEqual(
      texts(
        validateCrd(
          withSchema({ type: 'object', properties: { metadata: { type: 'object', default: {} } } }),
        ),
      ),
      [`${ROOT}.properties[metadata].default: Forbidden: must not be set in top-level metadata`],
    );
  });
});

describe('validateCrdUpdate', () => {
  const established = {
    ...crd(),
    status: { conditions: [{ type: 'Established', status: 'True' }], storedVersions: ['v1'] },
  };

  it('keeps group and plural immutable, and scope and kind once established', () => {
    const next = crd({ group: 'other.com', scope: 'Cluster', names: { plural: 'gadgets', kind: 'Gadget' } });
    assert.deepEqual(texts(validateCrdUpdate(next, established)), [
      'spec.scope: Invalid value: "Cluster": field is immutable',
      'spec.names.kind: Invalid value: "Gadget": field is immutable',
      'spec.group: Invalid value: "other.com": field is immutable',
      'spec.names.plural: Invalid value: "gadgets": field is immutable',
    ]);
    assert.deepEqual(texts(validateCrdUpdate(crd({ scope: 'Cluster' }), crd())), []);
    assert.equal(isCrdEstablished(established), true);
    assert.equal(isCrdEstablished(crd()), false);
  });

  it('keeps stored versions that are still in spec.versions', () => {
    const old = { ...crd(), status: { storedVersions: ['v1', 'v0'] } };
    assert.deepEqual(texts(validateCrdUpdate(crd(), old)), [
      'status.storedVersions[1]: Invalid value: "v0": must appear in spec.versions',
    ]);
    const kept = crd({ versions: [version('v0'), version('v1', { storage: true })] });
    assert.deepEqual(validateCrdUpdate(kept, old), []);
  });

  it('still validates the spec', () => {
    assert.deepEqual(texts(validateCrdUpdate(crd({ scope: 'Global' }), crd())), [
      'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
    ]);
  });
});

describe('crdResourceInfos', () => {
  const columns = [
    {
      name: 'Image',
      type: 'string',
      jsonPath: '.spec.image',
      priority: 1,
      description: 'the image',
      format: 'name',
    },
  ];
  const definition = crd({
    versions: [
      version('v1', {
        storage: true,
        subresources: {
          status: {},
          scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
        },
        additionalPrinterColumns: columns,
      }),
      version('v1beta1'),
      version('v1alpha1', { served: false }),
    ],
  });

  it('describes each served version', () => {
    const infos = crdResourceInfos(definition);
    assert.deepEqual(
      infos.map((info) => info.version),
      ['v1', 'v1beta1'],
    );
    const [v1, beta] = infos;
    assert.ok(v1 && beta);
    assert.deepEqual(
      { ...v1, crd: undefined },
      {
        group: 'example.com',
        version: 'v1',
        kind: 'Widget',
        listKind: 'WidgetList',
        plural: 'widgets',
        singular: 'widget',
        namespaced: true,
        shortNames: ['wg'],
        categories: ['all'],
        verbs: STANDARD_VERBS,
        subresources: ['status', 'scale'],
        storagePrefix: customResourcePrefix('example.com', 'widgets'),
        codec: 'json',
        generation: 'non-metadata',
        strategicMerge: false,
        storageVersion: 'v1',
        crd: undefined,
      },
    );
    assert.equal(v1.crd?.name, 'widgets.example.com');
    assert.deepEqual(v1.crd?.schema, SCHEMA);
    assert.deepEqual(v1.crd?.printerColumns, [
      {
        name: 'Image',
        type: 'string',
        format: 'name',
        description: 'the image',
        priority: 1,
        jsonPath: '.spec.image',
      },
    ]);
    assert.deepEqual(beta.subresources, []);
    assert.equal(beta.storageVersion, 'v1');
  });

  it('shows Age when a version declares no columns', () => {
    const [v1] = crdResourceInfos(crd());
    assert.equal(v1?.crd?.printerColumns.length, 1);
    assert.deepEqual(
      { ...v1?.crd?.printerColumns[0], description: undefined },
      {
        name: 'Age',
        type: 'date',
        description: undefined,
        jsonPath: '.metadata.creationTimestamp',
      },
    );
  });

  it('serves cluster-scoped CRDs and uses the accepted names once set', () => {
    const accepted = {
      ...crd({ scope: 'Cluster' }),
      status: {
        acceptedNames: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      },
    };
    const [info] = crdResourceInfos(accepted);
    assert.equal(info?.namespaced, false);
    assert.deepEqual(info?.shortNames, []);
  });
});

describe('crdStatus', () => {
  const now = new Date('2024-05-06T07:08:09.123Z');

  it('writes NamesAccepted, Established, the accepted names and the stored versions', () => {
    assert.deepEqual(crdStatus(crd(), now), {
      conditions: [
        {
          type: 'NamesAccepted',
          status: 'True',
          lastTransitionTime: '2024-05-06T07:08:09Z',
          reason: 'NoConflicts',
          message: 'no conflicts found',
        },
        {
          type: 'Established',
          status: 'True',
          lastTransitionTime: '2024-05-06T07:08:09Z',
          reason: 'InitialNamesAccepted',
          message: 'the initial names have been accepted',
        },
      ],
      acceptedNames: {
        plural: 'widgets',
        singular: 'widget',
        shortNames: ['wg'],
        kind: 'Widget',
        listKind: 'WidgetList',
        categories: ['all'],
      },
      storedVersions: ['v1'],
    });
  });

  it('keeps earlier stored versions, transition times of true conditions and other conditions', () => {
    const earlier = '2020-01-01T00:00:00Z';
    const existing = {
      ...crd({ versions: [version('v1'), version('v2', { storage: true })] }),
      status: {
        storedVersions: ['v1'],
        conditions: [
          {
            type: 'Established',
            status: 'True',
            lastTransitionTime: earlier,
            reason: 'InitialNamesAccepted',
            message: 'the initial names have been accepted',
          },
          {
            type: 'NamesAccepted',
            status: 'False',
            lastTransitionTime: earlier,
            reason: 'Conflict',
            message: 'x',
          },
          { type: 'NonStructuralSchema', status: 'True', reason: 'Violations', message: 'y' },
        ],
      },
    };
    const status = crdStatus(existing, now);
    assert.deepEqual(status['storedVersions'], ['v1', 'v2']);
    const conditions = status['conditions'] as Json[];
    assert.deepEqual(
      conditions.map((c) => [c['type'], c['lastTransitionTime']]),
      [
        ['NamesAccepted', '2024-05-06T07:08:09Z'],
        ['Established', earlier],
        ['NonStructuralSchema', undefined],
      ],
    );
    assert.equal(isCrdEstablished({ status }), true);
  });
});
