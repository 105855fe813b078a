/**
 * Response negotiation (Accept → object, Table or PartialObjectMetadata[List], JSON or protobuf, or 406) and the
 * metadata-only representations, checked without a server; the protobuf bytes are read back with the wire reader
 * only (field numbers from meta/v1's generated.proto), not with the codec's descriptors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeMetaObject, encodeWatchEventFrame } from '../../src/apiserver/codec/protobuf.ts';
import { negotiateResponse } from '../../src/apiserver/negotiation.ts';
import { CachedEvent } from '../../src/apiserver/objects/watch-cache.ts';
import type { KubeObject } from '../../src/apiserver/objects/object.ts';
import {
  goTypeName,
  toPartialObjectMetadata,
  toPartialObjectMetadataList,
  wrongShape,
} from '../../src/apiserver/partial-metadata.ts';
import { builtinResources, type ResourceInfo } from '../../src/apiserver/resources.ts';
import { ApiError } from '../../src/apiserver/status.ts';
import { Reader } from '../../src/common/protobuf-wire.ts';

const META = 'g=meta.k8s.io;v=v1';
/** What client-go's metadata client sends for a list (protobuf first, then JSON, then plain JSON). */
const CLIENT_GO_METADATA_LIST = `application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;${META},application/json;as=PartialObjectMetadataList;${META},application/json`;
const KUBECTL_TABLE =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

function builtin(kind: string): ResourceInfo {
  const info = builtinResources().find((candidate) => candidate.kind === kind);
  assert.ok(info, kind);
  return info;
}

function notAcceptable(accept: string): string {
  try {
    negotiateResponse(accept);
  } catch (error) {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, 406);
    assert.equal(error.reason, 'NotAcceptable');
    return error.message;
  }
  assert.fail(`no 406 for ${accept}`);
}

describe('negotiateResponse', () => {
  test('metadata-only: client-go prefers protobuf, the operator asks for JSON, v1beta1 too', () => {
    assert.deepEqual(negotiateResponse(CLIENT_GO_METADATA_LIST), {
      as: 'PartialObjectMetadataList',
      version: 'v1',
      encoding: 'protobuf',
    });
    assert.deepEqual(
      negotiateResponse(`application/json;as=PartialObjectMetadataList;${META},application/json`),
      { as: 'PartialObjectMetadataList', version: 'v1', encoding: 'json' },
    );
    assert.deepEqual(negotiateResponse('application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1'), {
      as: 'PartialObjectMetadata',
      version: 'v1beta1',
      encoding: 'json',
    });
    // Parameter order and spaces do not matter; a wildcard type takes the first serializer (JSON).
    assert.deepEqual(negotiateResponse(`*/*; v=v1; as=PartialObjectMetadata; g=meta.k8s.io`), {
      as: 'PartialObjectMetadata',
      version: 'v1',
      encoding: 'json',
    });
  });

  test('q-values order the ranges; at equal q a concrete type beats a wildcard; q=0 is never taken', () => {
    assert.deepEqual(
      negotiateResponse(`application/json;q=0.5,application/json;as=PartialObjectMetadata;${META}`),
      { as: 'PartialObjectMetadata', version: 'v1', encoding: 'json' },
    );
    assert.deepEqual(
      negotiateResponse(`application/json;as=PartialObjectMetadata;${META};q=0.4,application/json;q=0.9`),
      { as: 'object' },
    );
    assert.deepEqual(negotiateResponse(`*/*,application/json;as=PartialObjectMetadata;${META}`), {
      as: 'PartialObjectMetadata',
      version: 'v1',
      encoding: 'json',
    });
    assert.deepEqual(
      negotiateResponse(`application/json;as=PartialObjectMetadata;${META};q=0,application/json`),
      { as: 'object' },
    );
  });

  test('Tables as kubectl get asks for them (JSON only)', () => {
    assert.deepEqual(negotiateResponse(KUBECTL_TABLE), { as: 'Table', version: 'v1' });
    assert.deepEqual(
      negotiateResponse('application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json'),
      {
        as: 'Table',
        version: 'v1beta1',
      },
    );
    assert.deepEqual(negotiateResponse('application/json; as=Table; v=v1; g=meta.k8s.io'), {
      as: 'Table',
      version: 'v1',
    });
    assert.deepEqual(
      negotiateResponse('application/json;q=0.5, application/json;as=Table;v=v1;g=meta.k8s.io'),
      { as: 'Table', version: 'v1' },
    );
    for (const header of [
      undefined,
      '',
      'application/json',
      '*/*',
      'application/json, application/json;as=Table;v=v1;g=meta.k8s.io',
      'application/json;as=Table;v=v1alpha1;g=meta.k8s.io,application/json',
      'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json',
      'application/json;as=Table;v=v1;g=meta.k8s.io;q=0,application/json',
      'application/json;stream=watch',
    ]) {
      assert.deepEqual(negotiateResponse(header), { as: 'object' }, String(header));
    }
  });

  test('406 with kube message when only an unsupported transformation is acceptable', () => {
    const message =
      'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf';
    assert.equal(notAcceptable(`application/json;as=Foo;${META}`), message);
    assert.equal(notAcceptable('application/json;as=PartialObjectMetadata;g=example.com;v=v1'), message);
    assert.equal(notAcceptable('application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v2'), message);
    assert.equal(notAcceptable('application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io'), message);
    assert.equal(notAcceptable(`application/yaml;as=Table;${META}`), message);
    assert.equal(notAcceptable(`application/json;as=PartialObjectMetadata;${META};stream=other`), message);
  });

  test('types this server cannot write without a transformation still get JSON', () => {
    for (const header of ['application/yaml', 'application/vnd.kubernetes.protobuf', 'text/plain'])
      assert.deepEqual(negotiateResponse(header), { as: 'object' }, header);
  });
});

describe('PartialObjectMetadata', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 's',
      namespace: 'n',
      uid: 'u-1',
      resourceVersion: '7',
      creationTimestamp: '2025-06-01T11:00:00Z',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Secret"}' },
    },
    data: { password: 'aHVudGVyMg==' },
  };

  test('keeps the whole ObjectMeta (annotations included) and nothing else', () => {
    assert.deepEqual(toPartialObjectMetadata(secret, 'v1'), {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: secret.metadata,
    });
    const list = toPartialObjectMetadataList([secret], { resourceVersion: '9', continue: 'abc' }, 'v1beta1');
    assert.deepEqual(list, {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1beta1',
      metadata: { resourceVersion: '9', continue: 'abc' },
      items: [
        { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1beta1', metadata: secret.metadata },
      ],
    });
    assert.ok(!JSON.stringify(list).includes('aHVudGVyMg=='));
  });

  test('the 406 for the wrong shape names the internal Go type', () => {
    assert.equal(
      wrongShape('PartialObjectMetadata', builtin('Secret')).message,
      'you requested PartialObjectMetadata, but the requested object is a list (*core.SecretList)',
    );
    assert.equal(
      wrongShape('PartialObjectMetadataList', builtin('Deployment')).message,
      'you requested PartialObjectMetadataList, but the requested object is not a list (*apps.Deployment)',
    );
    assert.equal(goTypeName(builtin('Lease'), false), '*coordination.Lease');
    assert.equal(goTypeName(builtin('EndpointSlice'), true), '*discovery.EndpointSliceList');
    assert.equal(
      goTypeName({ ...builtin('Secret'), crd: { name: 'x', printerColumns: [] } }, true),
      '*unstructured.UnstructuredList',
    );
  });

  test('protobuf: the envelope, PartialObjectMetadataList {1: ListMeta, 2: items}, v1beta1 the other way round', () => {
    const bytes = encodeMetaObject(toPartialObjectMetadataList([secret], { resourceVersion: '9' }, 'v1'));
    const envelope = readEnvelope(bytes);
    assert.deepEqual([envelope.apiVersion, envelope.kind], ['meta.k8s.io/v1', 'PartialObjectMetadataList']);
    const list = fields(envelope.raw);
    assert.equal(text(first(fields(only(list, 1)), 1)), ''); // gogo writes the empty selfLink
    assert.equal(text(first(fields(only(list, 1)), 2)), '9');
    const item = fields(only(list, 2));
    const meta = fields(only(item, 1));
    assert.equal(text(first(meta, 1)), 's');
    assert.equal(text(first(meta, 3)), 'n');
    assert.equal(text(first(meta, 6)), '7');
    assert.ok(!Buffer.from(bytes).includes('aHVudGVyMg=='));
    assert.ok(!Buffer.from(bytes).includes('hunter2'));

    const beta = fields(
      readEnvelope(
        encodeMetaObject(toPartialObjectMetadataList([secret], { resourceVersion: '9' }, 'v1beta1')),
      ).raw,
    );
    assert.equal(text(first(fields(only(beta, 2)), 2)), '9');
    assert.equal(text(first(fields(only(fields(only(beta, 1)), 1)), 1)), 's');
  });

  test('protobuf watch frames: 4-byte length, WatchEvent {1: type, 2: {1: raw object}}', () => {
    const object = encodeMetaObject(toPartialObjectMetadata(secret, 'v1'));
    const frame = encodeWatchEventFrame('MODIFIED', object);
    assert.equal(frame.length, 4 + new DataView(frame.buffer).getUint32(0));
    const event = fields(frame.subarray(4));
    assert.equal(text(first(event, 1)), 'MODIFIED');
    const raw = first(fields(only(event, 2)), 1);
    assert.deepEqual(Buffer.from(raw as Uint8Array), Buffer.from(object));
  });

  test('a metadata-only watcher never renders the body of a cached event', () => {
    let bodyReads = 0;
    const object = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'n' },
    } as KubeObject;
    Object.defineProperty(object, 'data', {
      enumerable: true,
      get: () => {
        bodyReads++;
        return { password: 'aHVudGVyMg==' };
      },
    });
    const event = new CachedEvent('/registry/secrets/n/s', 5, false, object, undefined, false);
    const json = event.partial('v1', 'json');
    assert.equal(event.partial('v1', 'json'), json, 'rendered once');
    const protobuf = event.partial('v1', 'protobuf');
    assert.equal(event.partial('v1', 'protobuf'), protobuf);
    assert.equal(bodyReads, 0);
    assert.ok(!json.includes('aHVudGVyMg=='));
    assert.ok(event.json.includes('aHVudGVyMg=='), 'the whole form still has it');
    assert.equal(bodyReads, 1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// A reader of the bytes that knows field numbers only

type Field = [number, Uint8Array | bigint];

function fields(bytes: Uint8Array): Field[] {
  const reader = new Reader(bytes, 0, bytes.length, 'M');
  const out: Field[] = [];
  for (let field = reader.next(); field !== undefined; field = reader.next()) {
    if (field.wireType === 2) out.push([field.number, reader.bytes(field, 'f')]);
    else out.push([field.number, reader.int64(field, 'f')]);
  }
  return out;
}

function first(list: Field[], number: number): Uint8Array | bigint | undefined {
  return list.find(([n]) => n === number)?.[1];
}

function only(list: Field[], number: number): Uint8Array {
  const matching = list.filter(([n]) => n === number);
  assert.equal(matching.length, 1, `field ${number}`);
  const value = matching[0]?.[1];
  assert.ok(value instanceof Uint8Array);
  return value;
}

function text(value: Uint8Array | bigint | undefined): string | undefined {
  return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : undefined;
}

function readEnvelope(bytes: Uint8Array): { apiVersion: string; kind: string; raw: Uint8Array } {
  assert.deepEqual([...bytes.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00]);
  const unknown = fields(bytes.subarray(4));
  const typeMeta = fields(only(unknown, 1));
  assert.equal(text(first(unknown, 3)), '');
  assert.equal(text(first(unknown, 4)), '');
  return {
    apiVersion: text(first(typeMeta, 1)) ?? '',
    kind: text(first(typeMeta, 2)) ?? '',
    raw: only(unknown, 2),
  };
}
