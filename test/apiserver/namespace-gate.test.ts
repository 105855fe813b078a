import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NamespaceGate } from '../../src/apiserver/objects/namespace-gate.ts';
import type { KubeObject } from '../../src/apiserver/objects/object.ts';
import type { ObjectStore } from '../../src/apiserver/objects/store.ts';
import type { ResourceInfo } from '../../src/apiserver/resources.ts';
import { ApiError } from '../../src/apiserver/status.ts';

const NAMESPACES = { group: '', plural: 'namespaces', namespaced: false } as unknown as ResourceInfo;
const SECRETS = { group: '', plural: 'secrets', namespaced: true } as unknown as ResourceInfo;

function namespace(name: string, phase = 'Active'): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, status: { phase } };
}

/** A store holding `stored` namespaces, counting its reads. */
function storeOf(...stored: KubeObject[]): { store: ObjectStore; reads: string[] } {
  const reads: string[] = [];
  const store = {
    get: (_info: ResourceInfo, _namespace: string | undefined, name: string) => {
      reads.push(name);
      const object = stored.find((candidate) => candidate.metadata.name === name);
      return Promise.resolve(object && { object, key: `/namespaces/${name}`, modRevision: 1 });
    },
  } as unknown as ObjectStore;
  return { store, reads };
}

function create(gate: NamespaceGate, namespaceName: string): Promise<void> {
  return gate.admitCreate(
    { info: SECRETS, namespace: namespaceName },
    {
      metadata: { name: 'x', namespace: namespaceName },
    },
  );
}

function rejectsWith(code: number, message: RegExp) {
  return (error: unknown) => error instanceof ApiError && error.code === code && message.test(error.message);
}

test('namespace gate: the informer answers first; what it does not know is read from storage', async () => {
  const { store, reads } = storeOf(namespace('fresh'), namespace('leaving', 'Terminating'));
  const cached = new Map([['known', namespace('known')]]);
  const gate = new NamespaceGate(store, NAMESPACES, (name) => cached.get(name));

  await create(gate, 'known');
  assert.deepEqual(reads, [], 'a namespace in the informer is not read from storage');
  await create(gate, 'fresh');
  assert.deepEqual(reads, ['fresh'], 'one the informer has not seen yet is');
  await assert.rejects(create(gate, 'missing'), rejectsWith(404, /^namespaces "missing" not found$/));
  await assert.rejects(
    create(gate, 'leaving'),
    rejectsWith(403, /unable to create new content in namespace leaving because it is being terminated/),
  );

  cached.set('known', namespace('known', 'Terminating'));
  await assert.rejects(create(gate, 'known'), rejectsWith(403, /being terminated/));
});
