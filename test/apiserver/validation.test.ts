import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  type Cause,
  causeText,
  dedupeCauses,
  goFloat,
  goQuote,
  goValue,
} from '../../src/apiserver/field-errors.ts';
import { builtinResources, type ResourceInfo } from '../../src/apiserver/resources.ts';
import { invalid } from '../../src/apiserver/status.ts';
import {
  GENERATED_NAME_ALPHABET,
  applySecretDefaults,
  base64DecodeError,
  decodeProblem,
  foldStringData,
  generateNameFrom,
  goJsonMapError,
  isConfigMapKey,
  isQualifiedName,
  nameErrors,
  nameRuleFor,
  randomNameSuffix,
  resourceVersionOnCreateError,
  resourceVersionSetOnCreate,
  strictDecodingError,
  strictDecodingMessage,
  undecodableMessage,
  unknownFieldMessage,
  unknownTopLevelFields,
  validateCreate,
  validateObject,
  validateTypeMeta,
  validateUpdate,
  withoutUnknownFields,
} from '../../src/apiserver/validation.ts';

const infos = builtinResources();
function info(kind: string): ResourceInfo {
  const found = infos.find((candidate) => candidate.kind === kind);
  assert.ok(found, kind);
  return found;
}
const SECRET = info('Secret');
const CONFIG_MAP = info('ConfigMap');
const NAMESPACE = info('Namespace');

const widget: ResourceInfo = {
  ...info('ConfigMap'),
  group: 'example.com',
  version: 'v1',
  kind: 'Widget',
  listKind: 'WidgetList',
  plural: 'widgets',
  singular: 'widget',
  strategicMerge: false,
  crd: { name: 'widgets.example.com', printerColumns: [] },
};

const texts = (causes: readonly Cause[]): string[] => causes.map(causeText);
const b64 = (text: string): string => Buffer.from(text).toString('base64');

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_REGEX =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const CONFIG_KEY_MESSAGE =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

function secret(
  fields: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'default', ...metadata },
    type: 'Opaque',
    ...fields,
  };
}

describe('names', () => {
  it('renders the DNS-1123 subdomain error exactly as kube does, and invalid() composes the Status message', () => {
    const causes = validateCreate(SECRET, secret({}, { name: 'Bad_Name' }));
    assert.deepEqual(texts(causes), [`metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MESSAGE}`]);
    assert.equal(causes[0]?.message, `Invalid value: "Bad_Name": ${SUBDOMAIN_MESSAGE}`);
    assert.equal(causes[0]?.reason, 'FieldValueInvalid');
    const error = invalid('Secret', '', 'Bad_Name', causes);
    assert.equal(error.code, 422);
    assert.equal(
      error.message,
      `Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MESSAGE}`,
    );
  });

  it('requires a name or generateName', () => {
    const causes = validateCreate(SECRET, secret({}, { name: undefined }));
    assert.deepEqual(texts(causes), ['metadata.name: Required value: name or generateName is required']);
    assert.equal(causes[0]?.reason, 'FieldValueRequired');
  });

  it('limits subdomains to 253 bytes', () => {
    assert.deepEqual(nameErrors('dns-subdomain', 'a'.repeat(253)), []);
    assert.deepEqual(nameErrors('dns-subdomain', 'a'.repeat(254)), ['must be no more than 253 characters']);
    assert.deepEqual(nameErrors('dns-subdomain', 'a.b-c.d'), []);
  });

  it('uses DNS labels for namespaces, RFC 1035 labels for services, path segments for RBAC, subdomains elsewhere', () => {
    assert.equal(nameRuleFor(NAMESPACE), 'dns-label');
    assert.equal(nameRuleFor(info('Service')), 'dns1035-label');
    for (const kind of ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'])
      assert.equal(nameRuleFor(info(kind)), 'path-segment');
    assert.equal(nameRuleFor(SECRET), 'dns-subdomain');
    assert.equal(nameRuleFor(widget), 'dns-subdomain');

    assert.deepEqual(nameErrors('dns-label', 'a.b'), [LABEL_MESSAGE]);
    assert.deepEqual(nameErrors('dns-label', 'a'.repeat(64)), ['must be no more than 63 characters']);
    assert.deepEqual(nameErrors('dns1035-label', '1abc'), [DNS1035_MESSAGE]);
    assert.deepEqual(nameErrors('dns1035-label', 'abc-1'), []);
    assert.deepEqual(nameErrors('path-segment', 'system:Admin'), []);
    assert.deepEqual(nameErrors('path-segment', '..'), ["may not be '..'"]);
    assert.deepEqual(nameErrors('path-segment', '.'), ["may not be '.'"]);
    assert.deepEqual(nameErrors('path-segment', 'a/b%c'), ["may not contain '/'", "may not contain '%'"]);
  });

  it('validates namespace names as DNS labels on create', () => {
    const causes = validateCreate(NAMESPACE, { metadata: { name: 'my.ns' } });
    assert.deepEqual(texts(causes), [`metadata.name: Invalid value: "my.ns": ${LABEL_MESSAGE}`]);
  });

  it('limits CronJob names to 52 characters', () => {
    const cronJob = info('CronJob');
    assert.deepEqual(validateCreate(cronJob, { metadata: { name: 'a'.repeat(52), namespace: 'n' } }), []);
    assert.deepEqual(texts(validateCreate(cronJob, { metadata: { name: 'a'.repeat(53), namespace: 'n' } })), [
      `metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`,
    ]);
  });

  it('checks generateName as a prefix: a trailing dash is fine, the rest must be valid', () => {
    assert.deepEqual(validateCreate(SECRET, secret({}, { generateName: 'web-', name: 'web-x7k2p' })), []);
    assert.deepEqual(texts(validateCreate(SECRET, secret({}, { generateName: 'Web-', name: 'web-x7k2p' }))), [
      `metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN_MESSAGE}`,
    ]);
    assert.deepEqual(nameErrors('path-segment', 'a/', true), ["may not contain '/'"]);
    assert.deepEqual(nameErrors('path-segment', '..', true), []);
  });
});

describe('generated names', () => {
  it('appends the suffix and cuts long prefixes to 58 characters', () => {
    assert.equal(generateNameFrom('web-', 'x7k2p'), 'web-x7k2p');
    const name = generateNameFrom('p'.repeat(70), 'bcdfg');
    assert.equal(name, `${'p'.repeat(58)}bcdfg`);
    assert.equal(name.length, 63);
  });

  it('draws five characters from kube’s alphabet', () => {
    assert.equal(
      randomNameSuffix((n) => n - 1),
      '99999',
    );
    assert.equal(
      randomNameSuffix(() => 0),
      'bbbbb',
    );
    const suffix = randomNameSuffix();
    assert.match(suffix, /^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(GENERATED_NAME_ALPHABET.length, 27);
  });
});

describe('object metadata', () => {
  it('requires a namespace for namespaced kinds and checks it is a DNS label', () => {
    assert.deepEqual(texts(validateCreate(SECRET, secret({}, { namespace: undefined }))), [
      'metadata.namespace: Required value',
    ]);
    assert.deepEqual(texts(validateCreate(SECRET, secret({}, { namespace: 'Prod' }))), [
      `metadata.namespace: Invalid value: "Prod": ${LABEL_MESSAGE}`,
    ]);
  });

  it('forbids a namespace on cluster-scoped kinds', () => {
    assert.deepEqual(texts(validateCreate(NAMESPACE, { metadata: { name: 'a', namespace: 'b' } })), [
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });

  it('checks label keys and values', () => {
    const labels = {
      'example.com/app': 'web',
      '/empty-prefix': 'ok',
      'Example.com/x': 'ok',
      [`a/${'n'.repeat(64)}`]: 'ok',
      good: 'v'.repeat(64),
      also: 'not valid!',
      blank: '',
    };
    assert.deepEqual(texts(validateCreate(SECRET, secret({}, { labels }))), [
      'metadata.labels: Invalid value: "/empty-prefix": prefix part must be non-empty',
      `metadata.labels: Invalid value: "Example.com/x": prefix part ${SUBDOMAIN_MESSAGE}`,
      `metadata.labels: Invalid value: "a/${'n'.repeat(64)}": name part must be no more than 63 characters`,
      `metadata.labels: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`,
      `metadata.labels: Invalid value: "not valid!": ${LABEL_VALUE_MESSAGE}`,
    ]);
  });

  it('reports a key with several slashes, and an empty name part twice as kube does', () => {
    assert.deepEqual(isQualifiedName('a/b/c'), [
      `a qualified name ${QUALIFIED_REGEX} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ]);
    assert.deepEqual(isQualifiedName('example.com/'), [
      'name part must be non-empty',
      `name part ${QUALIFIED_REGEX}`,
    ]);
  });

  it('compares annotation keys case-insensitively and limits annotations to 256 KiB', () => {
    assert.deepEqual(validateCreate(SECRET, secret({}, { annotations: { 'Example.COM/Key': 'x' } })), []);
    assert.deepEqual(texts(validateCreate(SECRET, secret({}, { annotations: { 'bad key': 'x' } }))), [
      `metadata.annotations: Invalid value: "bad key": name part ${QUALIFIED_REGEX}`,
    ]);
    const large = { a: 'x'.repeat(256 * 1024 - 1) };
    assert.deepEqual(validateCreate(SECRET, secret({}, { annotations: large })), []);
    const tooLarge = validateCreate(SECRET, secret({}, { annotations: { a: 'x'.repeat(256 * 1024) } }));
    assert.deepEqual(texts(tooLarge), ['metadata.annotations: Too long: may not be more than 262144 bytes']);
    assert.equal(tooLarge[0]?.reason, 'FieldValueTooLong');
  });

  it('requires apiVersion, kind, name and uid on owner references', () => {
    const causes = validateCreate(
      SECRET,
      secret({}, { ownerReferences: [{ apiVersion: 'a/b/c', kind: '' }] }),
    );
    assert.deepEqual(texts(causes), [
      'metadata.ownerReferences.apiVersion: Invalid value: "a/b/c": version must not be empty',
      'metadata.ownerReferences.kind: Invalid value: "": kind must not be empty',
      'metadata.ownerReferences.name: Invalid value: "": name must not be empty',
      'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
    ]);
  });

  it('allows one controller owner and no Event owners', () => {
    const owner = (name: string, controller?: boolean) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name,
      uid: name,
      controller,
    });
    assert.deepEqual(
      validateCreate(SECRET, secret({}, { ownerReferences: [owner('a', true), owner('b', false)] })),
      [],
    );
    const two = texts(
      validateCreate(SECRET, secret({}, { ownerReferences: [owner('a', true), owner('b', true)] })),
    );
    assert.equal(two.length, 1);
    assert.match(
      two[0] ?? '',
      /^metadata\.ownerReferences: Invalid value: \[\]v1\.OwnerReference\{v1\.OwnerReference\{APIVersion:"apps\/v1"/,
    );
    assert.match(
      two[0] ?? '',
      /: Only one reference can have Controller set to true\. Found "true" in references for Deployment\/a and Deployment\/b$/,
    );
    const event = texts(
      validateCreate(
        SECRET,
        secret({}, { ownerReferences: [{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u' }] }),
      ),
    );
    assert.equal(event.length, 1);
    assert.match(
      event[0] ?? '',
      /^metadata\.ownerReferences: Invalid value: v1\.OwnerReference\{.*\}: \/v1, Kind=Event is disallowed from being an owner$/,
    );
  });

  it('checks finalizers: qualified names, standard names for built-ins, not orphan and foreground together', () => {
    assert.deepEqual(
      validateCreate(SECRET, secret({}, { finalizers: ['kubernetes', 'example.com/cleanup'] })),
      [],
    );
    assert.deepEqual(texts(validateCreate(SECRET, secret({}, { finalizers: ['cleanup'] }))), [
      'metadata.finalizers[0]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
    ]);
    assert.deepEqual(
      texts(validateCreate(SECRET, secret({}, { finalizers: ['orphan', 'foregroundDeletion'] }))),
      [
        'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
      ],
    );
    assert.deepEqual(texts(validateCreate(SECRET, secret({}, { finalizers: ['Bad Name'] }))), [
      `metadata.finalizers: Invalid value: "Bad Name": name part ${QUALIFIED_REGEX}`,
      `metadata.finalizers[0]: Invalid value: "Bad Name": name part ${QUALIFIED_REGEX}`,
      'metadata.finalizers[0]: Invalid value: "Bad Name": name is neither a standard finalizer name nor is it fully qualified',
    ]);
    // Custom resources only get apimachinery's generic check.
    const resource = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'n', finalizers: ['cleanup'] },
    };
    assert.deepEqual(validateCreate(widget, resource), []);
  });

  it('refuses a negative generation', () => {
    assert.deepEqual(texts(validateCreate(SECRET, secret({}, { generation: -1 }))), [
      'metadata.generation: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });
});

describe('object metadata on update', () => {
  const old = secret({}, { uid: 'u1', generation: 2, deletionGracePeriodSeconds: 30 });

  it('keeps name, namespace and uid immutable', () => {
    const next = secret(
      {},
      { name: 't', namespace: 'other', uid: 'u2', generation: 2, deletionGracePeriodSeconds: 30 },
    );
    assert.deepEqual(texts(validateUpdate(SECRET, next, old)), [
      'metadata.name: Invalid value: "t": field is immutable',
      'metadata.namespace: Invalid value: "other": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable',
    ]);
  });

  it('refuses a lower generation and a changed grace period', () => {
    const next = secret({}, { uid: 'u1', generation: 1, deletionGracePeriodSeconds: 5 });
    assert.deepEqual(texts(validateUpdate(SECRET, next, old)), [
      'metadata.generation: Invalid value: 1: must not be decremented',
      'metadata.deletionGracePeriodSeconds: Invalid value: 5: field is immutable',
    ]);
  });

  it('refuses new finalizers once deletion has started, but allows removing them', () => {
    const deleting = secret({}, { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['example.com/a'] });
    const added = secret(
      {},
      {
        deletionTimestamp: '2024-01-01T00:00:00Z',
        finalizers: ['example.com/a', 'example.com/c', 'example.com/b'],
      },
    );
    assert.deepEqual(texts(validateUpdate(SECRET, added, deleting)), [
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b", "example.com/c"}',
    ]);
    const removed = secret({}, { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: [] });
    assert.deepEqual(validateUpdate(SECRET, removed, deleting), []);
  });

  it('reports a problem found by both the update and the create checks once', () => {
    const next = secret({}, { labels: { 'bad key': 'x' } });
    assert.equal(validateUpdate(SECRET, next, secret()).length, 1);
  });
});

describe('Secret', () => {
  it('checks data keys and their total decoded size (1 MiB)', () => {
    const causes = validateCreate(
      SECRET,
      secret({ data: { 'bad key': b64('x'), '.': '', '..': '', '..a': '', [`k${'e'.repeat(253)}`]: '' } }),
    );
    assert.deepEqual(texts(causes), [
      `data[bad key]: Invalid value: "bad key": ${CONFIG_KEY_MESSAGE}`,
      `data[.]: Invalid value: ".": must not be '.'`,
      `data[..]: Invalid value: "..": must not be '..'`,
      `data[..a]: Invalid value: "..a": must not start with '..'`,
      `data[k${'e'.repeat(253)}]: Invalid value: "k${'e'.repeat(253)}": must be no more than 253 characters`,
    ]);
    const mib = 1024 * 1024;
    assert.deepEqual(
      validateCreate(SECRET, secret({ data: { a: Buffer.alloc(mib).toString('base64') } })),
      [],
    );
    assert.deepEqual(
      texts(validateCreate(SECRET, secret({ data: { a: Buffer.alloc(mib).toString('base64'), b: 'YQ==' } }))),
      ['data: Too long: may not be more than 1048576 bytes'],
    );
  });

  it('requires tls.crt and tls.key for kubernetes.io/tls', () => {
    assert.deepEqual(
      texts(validateCreate(SECRET, secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': '' } }))),
      ['data[tls.key]: Required value'],
    );
    assert.deepEqual(texts(validateCreate(SECRET, secret({ type: 'kubernetes.io/tls' }))), [
      'data[tls.crt]: Required value',
      'data[tls.key]: Required value',
    ]);
    assert.deepEqual(
      validateCreate(SECRET, secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } })),
      [],
    );
  });

  it('requires a JSON object in .dockerconfigjson and .dockercfg, without echoing it', () => {
    const type = 'kubernetes.io/dockerconfigjson';
    assert.deepEqual(texts(validateCreate(SECRET, secret({ type }))), [
      'data[.dockerconfigjson]: Required value',
    ]);
    assert.deepEqual(
      validateCreate(SECRET, secret({ type, data: { '.dockerconfigjson': b64('{"auths":{}}') } })),
      [],
    );
    assert.deepEqual(
      texts(validateCreate(SECRET, secret({ type, data: { '.dockerconfigjson': b64('hunter2') } }))),
      [
        `data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'h' looking for beginning of value`,
      ],
    );
    assert.deepEqual(
      texts(validateCreate(SECRET, secret({ type, data: { '.dockerconfigjson': b64('[1]') } }))),
      [
        'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}',
      ],
    );
    assert.deepEqual(texts(validateCreate(SECRET, secret({ type: 'kubernetes.io/dockercfg', data: {} }))), [
      'data[.dockercfg]: Required value',
    ]);
  });

  it('approximates Go’s JSON errors', () => {
    assert.equal(goJsonMapError('{}'), undefined);
    assert.equal(goJsonMapError('null'), undefined);
    assert.equal(goJsonMapError(''), 'unexpected end of JSON input');
    assert.equal(goJsonMapError('{"a":'), 'unexpected end of JSON input');
    assert.equal(
      goJsonMapError('"x"'),
      'json: cannot unmarshal string into Go value of type map[string]interface {}',
    );
    assert.equal(
      goJsonMapError('true'),
      'json: cannot unmarshal bool into Go value of type map[string]interface {}',
    );
    assert.equal(goJsonMapError("'"), "invalid character '\\'' looking for beginning of value");
  });

  it('needs a username or a password for basic-auth, and a private key for ssh-auth', () => {
    const basic = 'kubernetes.io/basic-auth';
    assert.deepEqual(texts(validateCreate(SECRET, secret({ type: basic, data: {} }))), [
      'data[username]: Required value',
      'data[password]: Required value',
    ]);
    assert.deepEqual(validateCreate(SECRET, secret({ type: basic, data: { password: '' } })), []);
    const ssh = 'kubernetes.io/ssh-auth';
    assert.deepEqual(texts(validateCreate(SECRET, secret({ type: ssh, data: { 'ssh-privatekey': '' } }))), [
      'data[ssh-privatekey]: Required value',
    ]);
    assert.deepEqual(
      validateCreate(SECRET, secret({ type: ssh, data: { 'ssh-privatekey': b64('key') } })),
      [],
    );
  });

  it('needs the service account name annotation on token secrets', () => {
    const type = 'kubernetes.io/service-account-token';
    assert.deepEqual(texts(validateCreate(SECRET, secret({ type }))), [
      'metadata.annotations[kubernetes.io/service-account.name]: Required value',
    ]);
    assert.deepEqual(
      validateCreate(
        SECRET,
        secret({ type }, { annotations: { 'kubernetes.io/service-account.name': 'default' } }),
      ),
      [],
    );
  });

  it('keeps the type immutable', () => {
    const causes = validateUpdate(SECRET, secret({ type: 'Opaque' }), secret({ type: 'example.com/x' }));
    assert.deepEqual(texts(causes), ['type: Invalid value: "Opaque": field is immutable']);
  });

  it('freezes data and the flag itself once immutable is set', () => {
    const old = secret({ immutable: true, data: { a: 'YQ==' } });
    assert.deepEqual(
      validateUpdate(SECRET, secret({ immutable: true, data: { a: 'YQ==' } }, { labels: { x: 'y' } }), old),
      [],
    );
    assert.deepEqual(texts(validateUpdate(SECRET, secret({ immutable: true, data: { a: 'Yg==' } }), old)), [
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    assert.deepEqual(texts(validateUpdate(SECRET, secret({ immutable: false, data: { a: 'YQ==' } }), old)), [
      'immutable: Forbidden: field is immutable when `immutable` is set',
    ]);
    assert.deepEqual(texts(validateUpdate(SECRET, secret({ data: {} }), old)), [
      'immutable: Forbidden: field is immutable when `immutable` is set',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    assert.deepEqual(
      validateUpdate(
        SECRET,
        secret({ immutable: true, data: { a: 'Yg==' } }),
        secret({ data: { a: 'YQ==' } }),
      ),
      [],
    );
  });
});

describe('stringData', () => {
  it('folds stringData into data as UTF-8 base64, stringData winning, and drops it', () => {
    const folded = foldStringData({
      kind: 'Secret',
      data: { b: 'eA==', a: 'b2xk' },
      stringData: { a: 'héllo', c: '' },
    });
    assert.deepEqual(folded, { kind: 'Secret', data: { a: b64('héllo'), b: 'eA==', c: '' } });
    assert.deepEqual(Object.keys(folded['data'] as object), ['a', 'b', 'c']);
    assert.equal('stringData' in folded, false);
  });

  it('leaves a Secret without stringData alone and does not mutate the input', () => {
    const input = { data: { a: 'YQ==' } };
    assert.equal(foldStringData(input), input);
    const withString = { stringData: { a: 'x' } };
    foldStringData(withString);
    assert.deepEqual(withString, { stringData: { a: 'x' } });
  });

  it('defaults an empty type to Opaque', () => {
    assert.deepEqual(applySecretDefaults({ data: {} }), { data: {}, type: 'Opaque' });
    assert.deepEqual(applySecretDefaults({ type: 'kubernetes.io/tls' }), { type: 'kubernetes.io/tls' });
  });
});

describe('ConfigMap', () => {
  const configMap = (fields: Record<string, unknown>) => ({
    metadata: { name: 'c', namespace: 'default' },
    ...fields,
  });

  it('checks keys in data and binaryData, and that no key is in both', () => {
    const causes = validateCreate(
      CONFIG_MAP,
      configMap({ data: { same: 'x', 'bad/key': 'x' }, binaryData: { same: 'eA==' } }),
    );
    assert.deepEqual(texts(causes), [
      'data[same]: Invalid value: "same": duplicate of key present in binaryData',
      `data[bad/key]: Invalid value: "bad/key": ${CONFIG_KEY_MESSAGE}`,
      'binaryData[same]: Invalid value: "same": duplicate of key present in data',
    ]);
    assert.deepEqual(isConfigMapKey('ok.KEY_name-1'), []);
  });

  it('limits data plus binaryData to 1 MiB, reported against the whole object', () => {
    const half = 512 * 1024;
    assert.deepEqual(
      validateCreate(
        CONFIG_MAP,
        configMap({
          data: { a: 'x'.repeat(half) },
          binaryData: { b: Buffer.alloc(half).toString('base64') },
        }),
      ),
      [],
    );
    const causes = validateCreate(
      CONFIG_MAP,
      configMap({ data: { a: 'é'.repeat(half) }, binaryData: { b: 'eA==' } }),
    );
    assert.deepEqual(texts(causes), ['[]: Too long: may not be more than 1048576 bytes']);
    assert.equal(
      invalid('ConfigMap', '', 'c', causes).message,
      'ConfigMap "c" is invalid: []: Too long: may not be more than 1048576 bytes',
    );
  });

  it('freezes data, binaryData and the flag once immutable is set', () => {
    const old = configMap({ immutable: true, data: { a: 'x' }, binaryData: { b: 'eA==' } });
    assert.deepEqual(
      validateUpdate(
        CONFIG_MAP,
        configMap({ immutable: true, data: { a: 'x' }, binaryData: { b: 'eA==' } }),
        old,
      ),
      [],
    );
    assert.deepEqual(
      texts(validateUpdate(CONFIG_MAP, configMap({ data: { a: 'y' }, binaryData: {} }), old)),
      [
        'immutable: Forbidden: field is immutable when `immutable` is set',
        'data: Forbidden: field is immutable when `immutable` is set',
        'binaryData: Forbidden: field is immutable when `immutable` is set',
      ],
    );
  });
});

describe('Namespace', () => {
  it('checks spec.finalizers as kube finalizer names', () => {
    assert.deepEqual(
      validateCreate(NAMESPACE, { metadata: { name: 'ns' }, spec: { finalizers: ['kubernetes'] } }),
      [],
    );
    assert.deepEqual(
      texts(validateCreate(NAMESPACE, { metadata: { name: 'ns' }, spec: { finalizers: ['custom'] } })),
      [
        'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
      ],
    );
  });
});

describe('custom resources', () => {
  const resource = (fields: Record<string, unknown> = {}) => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w', namespace: 'n' },
    ...fields,
  });
  const schemaCause: Cause = {
    field: 'spec.replicas',
    message: 'Required value',
    reason: 'FieldValueRequired',
  };

  it('checks kind and apiVersion first, and reports nothing else when they are wrong', () => {
    assert.deepEqual(
      texts(validateTypeMeta(widget, resource({ kind: 'Gadget', apiVersion: 'example.com/v2' }))),
      [
        'kind: Invalid value: "Gadget": must be Widget',
        'apiVersion: Invalid value: "example.com/v2": must be example.com/v1',
      ],
    );
    assert.deepEqual(
      texts(validateCreate(widget, resource({ kind: 'Gadget', metadata: { name: 'Bad' } }), [schemaCause])),
      ['kind: Invalid value: "Gadget": must be Widget'],
    );
  });

  it('puts schema causes after the metadata ones', () => {
    assert.deepEqual(
      texts(validateCreate(widget, resource({ metadata: { name: 'Bad', namespace: 'n' } }), [schemaCause])),
      [`metadata.name: Invalid value: "Bad": ${SUBDOMAIN_MESSAGE}`, 'spec.replicas: Required value'],
    );
    assert.deepEqual(texts(validateUpdate(widget, resource(), resource(), [schemaCause])), [
      'spec.replicas: Required value',
    ]);
  });

  it('leaves CustomResourceDefinitions to crd.ts in validateObject', () => {
    assert.deepEqual(validateObject(info('CustomResourceDefinition'), { metadata: { name: 'Bad' } }), []);
    assert.equal(validateObject(SECRET, secret({}, { name: 'Bad' })).length, 1);
    assert.equal(validateObject(SECRET, secret({}, { name: 'x' }), secret({}, { name: 'y' })).length, 1);
  });
});

describe('unknown fields', () => {
  it('lists fields a kind does not have, metadata ones included, in document order', () => {
    const object = {
      apiVersion: 'v1',
      kind: 'Secret',
      Data: {},
      metadata: {
        name: 's',
        bar: 1,
        ownerReferences: [{ name: 'o', colour: 'red' }],
        managedFields: [{ manager: 'm', extra: 1 }],
      },
      data: {},
      stringData: {},
      type: 'Opaque',
      immutable: true,
      spec: {},
    };
    assert.deepEqual(unknownTopLevelFields('Secret', object), [
      'Data',
      'metadata.bar',
      'metadata.ownerReferences[0].colour',
      'metadata.managedFields[0].extra',
      'spec',
    ]);
  });

  it('knows each built-in kind’s top-level fields', () => {
    const fields = (kind: string, ...names: string[]) =>
      unknownTopLevelFields(kind, Object.fromEntries(names.map((name) => [name, {}])));
    assert.deepEqual(fields('ConfigMap', 'data', 'binaryData', 'immutable', 'type'), ['type']);
    assert.deepEqual(
      fields('ServiceAccount', 'secrets', 'imagePullSecrets', 'automountServiceAccountToken', 'spec'),
      ['spec'],
    );
    assert.deepEqual(fields('Namespace', 'spec', 'status', 'data'), ['data']);
    assert.deepEqual(fields('Role', 'rules', 'aggregationRule'), ['aggregationRule']);
    assert.deepEqual(fields('ClusterRole', 'rules', 'aggregationRule'), []);
    assert.deepEqual(fields('RoleBinding', 'subjects', 'roleRef', 'rules'), ['rules']);
    assert.deepEqual(fields('ClusterRoleBinding', 'subjects', 'roleRef'), []);
    assert.deepEqual(fields('ValidatingWebhookConfiguration', 'webhooks', 'spec'), ['spec']);
    assert.deepEqual(fields('Event', 'involvedObject', 'reason', 'reportingInstance', 'spec'), ['spec']);
    assert.deepEqual(fields('Deployment', 'spec', 'status', 'data'), ['data']);
  });

  it('drops them from built-in objects, as decoding into Go types does', () => {
    const object = {
      kind: 'Secret',
      junk: 1,
      metadata: { name: 's', bar: 1, ownerReferences: [{ name: 'o', colour: 'red' }] },
      data: { a: 'YQ==' },
    };
    assert.deepEqual(withoutUnknownFields('Secret', object), {
      kind: 'Secret',
      metadata: { name: 's', ownerReferences: [{ name: 'o' }] },
      data: { a: 'YQ==' },
    });
    assert.deepEqual(object.metadata.ownerReferences, [{ name: 'o', colour: 'red' }]);
  });

  it('builds kube’s strict decoding messages', () => {
    assert.equal(unknownFieldMessage('spec.foo'), 'unknown field "spec.foo"');
    const message = strictDecodingMessage(['foo', 'metadata.bar']);
    assert.equal(message, 'strict decoding error: unknown field "foo", unknown field "metadata.bar"');
    const create = strictDecodingError('Secret', 'v1', ['foo']);
    assert.equal(create.code, 400);
    assert.equal(create.reason, 'BadRequest');
    assert.equal(
      create.message,
      'Secret in version "v1" cannot be handled as a Secret: strict decoding error: unknown field "foo"',
    );
    assert.equal(
      strictDecodingError('Secret', 'v1', ['foo'], { patch: true }).message,
      'strict decoding error: unknown field "foo"',
    );
  });
});

describe('decoding problems', () => {
  it('reports Go’s base64 errors for []byte fields', () => {
    assert.equal(base64DecodeError('YQ=='), undefined);
    assert.equal(base64DecodeError('YWJj\nZA=='), undefined);
    assert.equal(base64DecodeError(''), undefined);
    assert.equal(base64DecodeError('abc'), 'illegal base64 data at input byte 0');
    assert.equal(base64DecodeError('YQ='), 'illegal base64 data at input byte 3');
    assert.equal(base64DecodeError('a!=='), 'illegal base64 data at input byte 1');
    assert.equal(base64DecodeError('Y==='), 'illegal base64 data at input byte 1');
    assert.equal(base64DecodeError('YQ==YQ=='), 'illegal base64 data at input byte 4');
    assert.equal(base64DecodeError('YQ=x'), 'illegal base64 data at input byte 2');
  });

  it('accepts what Buffer encodes, of every padding, with or without line breaks', () => {
    for (let length = 0; length < 40; length++) {
      const encoded = Buffer.from(Array.from({ length }, (_, i) => (i * 37 + length) % 256)).toString(
        'base64',
      );
      assert.equal(base64DecodeError(encoded), undefined, encoded);
      assert.equal(base64DecodeError(encoded.replace(/(.{5})/g, '$1\r\n')), undefined, encoded);
      if (encoded.length > 0) assert.match(base64DecodeError(`${encoded}A`) ?? '', /at input byte/);
    }
  });

  it('explains why a Secret or ConfigMap body cannot be decoded', () => {
    assert.equal(decodeProblem('Secret', { data: { a: 'YQ==' }, stringData: { b: 'x' } }), undefined);
    assert.equal(
      decodeProblem('Secret', { data: { a: 'not base64!' } }),
      'illegal base64 data at input byte 3',
    );
    assert.equal(
      decodeProblem('Secret', { data: { a: 1 } }),
      'json: cannot unmarshal number into Go struct field Secret.data of type []uint8',
    );
    assert.equal(
      decodeProblem('Secret', { data: 'x' }),
      'json: cannot unmarshal string into Go struct field Secret.data of type map[string][]uint8',
    );
    assert.equal(
      decodeProblem('Secret', { stringData: { a: true } }),
      'json: cannot unmarshal bool into Go struct field Secret.stringData of type string',
    );
    assert.equal(
      decodeProblem('ConfigMap', { binaryData: { a: '!' } }),
      'illegal base64 data at input byte 0',
    );
    assert.equal(
      decodeProblem('ConfigMap', { data: { a: [] } }),
      'json: cannot unmarshal array into Go struct field ConfigMap.data of type string',
    );
    assert.equal(decodeProblem('Pod', { data: { a: 1 } }), undefined);
    assert.equal(
      undecodableMessage('Secret', 'v1', 'illegal base64 data at input byte 3'),
      'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
    );
  });

  it('spots a resourceVersion on create the way kube’s storage does', () => {
    assert.equal(resourceVersionSetOnCreate({ metadata: { resourceVersion: '5' } }), true);
    assert.equal(resourceVersionSetOnCreate({ metadata: { resourceVersion: '0' } }), false);
    assert.equal(resourceVersionSetOnCreate({ metadata: { resourceVersion: '-1' } }), false);
    assert.equal(resourceVersionSetOnCreate({ metadata: {} }), false);
    const error = resourceVersionOnCreateError();
    assert.equal(error.code, 500);
    assert.equal(error.message, 'resourceVersion should not be set on objects to be created');
  });
});

describe('Go value printing', () => {
  it('prints values the way field.Error does', () => {
    assert.equal(goValue('a"b\n'), '"a\\"b\\n"');
    assert.equal(goValue(null), 'null');
    assert.equal(goValue(5), '5');
    assert.equal(goValue(1.5), '1.5');
    assert.equal(goValue(true), 'true');
    assert.equal(
      goValue({ b: [1, 'x'], a: null }),
      'map[string]interface {}{"a":interface {}(nil), "b":[]interface {}{1, "x"}}',
    );
  });

  it('formats floats like Go’s %v and quotes like strconv.Quote', () => {
    assert.equal(goFloat(0.5), '0.5');
    assert.equal(goFloat(123456.5), '123456.5');
    assert.equal(goFloat(1234567.5), '1.2345675e+06');
    assert.equal(goFloat(0.00001), '1e-05');
    assert.equal(goFloat(0.0001), '0.0001');
    assert.equal(goQuote('é\u00a0\u0007\x7f'), '"é\\u00a0\\a\\x7f"');
  });

  it('drops repeated causes', () => {
    const cause: Cause = { field: 'a', message: 'Required value', reason: 'FieldValueRequired' };
    assert.deepEqual(dedupeCauses([cause, { ...cause }, { ...cause, field: 'b' }]).length, 2);
  });
});
