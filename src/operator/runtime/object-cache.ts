/**
 * An informer's local copy of objects (pure): by key ("namespace/name"), and through named indexes that map an
 * object to any number of values (its owner's uid, a label's value, …) for lookups without a scan.
 */
import type { KubeObject } from './resource.ts';
import { objectKey } from './resource.ts';

/** The values under which an object is found in one index. */
export type IndexFunction<T extends KubeObject> = (object: T) => readonly string[];

export interface Replaced<T> {
  added: T[];
  updated: { previous: T; current: T }[];
  deleted: T[];
}

/** Index by namespace (cluster-scoped objects under ""). */
export function byNamespace(object: KubeObject): readonly string[] {
  return [object.metadata.namespace ?? ''];
}

/** Index by the uid of every owner. */
export function byOwnerUid(object: KubeObject): readonly string[] {
  return (object.metadata.ownerReferences ?? []).map((reference) => reference.uid);
}

/** Index by the value of one label (objects without it are not indexed). */
export function byLabel(label: string): IndexFunction<KubeObject> {
  return (object) => {
    const value = object.metadata.labels?.[label];
    return value === undefined ? [] : [value];
  };
}

export class ObjectCache<T extends KubeObject = KubeObject> {
  readonly #objects = new Map<string, T>();
  readonly #indexers: ReadonlyMap<string, IndexFunction<T>>;
  /** index name → value → keys */
  readonly #indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunction<T>> = {}) {
    this.#indexers = new Map(Object.entries({ namespace: byNamespace, ...indexers }));
    for (const name of this.#indexers.keys()) this.#indexes.set(name, new Map());
  }

  get size(): number {
    return this.#objects.size;
  }

  get(key: string): T | undefined {
    return this.#objects.get(key);
  }

  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.#objects.get(namespace ? `${namespace}/${name}` : name);
  }

  keys(): string[] {
    return [...this.#objects.keys()];
  }

  /** Every object, or those in one namespace. */
  list(namespace?: string): T[] {
    return namespace === undefined ? [...this.#objects.values()] : this.byIndex('namespace', namespace);
  }

  byIndex(index: string, value: string): T[] {
    const values = this.#indexes.get(index);
    if (!values) throw new RangeError(`no index named "${index}"`);
    const objects: T[] = [];
    for (const key of values.get(value) ?? []) {
      const object = this.#objects.get(key);
      if (object) objects.push(object);
    }
    return objects;
  }

  /** Stores the object; returns the one it replaced. */
  upsert(object: T): T | undefined {
    const key = objectKey(object.metadata);
    const previous = this.#objects.get(key);
    if (previous) this.#unindex(key, previous);
    this.#objects.set(key, object);
    this.#index(key, object);
    return previous;
  }

  /** Removes the object with this key; returns it. */
  remove(key: string): T | undefined {
    const previous = this.#objects.get(key);
    if (!previous) return undefined;
    this.#unindex(key, previous);
    this.#objects.delete(key);
    return previous;
  }

  /**
   * Makes the cache hold exactly `objects` (a fresh LIST) and says what changed: objects whose resourceVersion
   * is unchanged count as neither added nor updated.
   */
  replace(objects: readonly T[]): Replaced<T> {
    const result: Replaced<T> = { added: [], updated: [], deleted: [] };
    const seen = new Set<string>();
    for (const current of objects) {
      const key = objectKey(current.metadata);
      seen.add(key);
      const previous = this.upsert(current);
      if (!previous) result.added.push(current);
      else if (previous.metadata.resourceVersion !== current.metadata.resourceVersion)
        result.updated.push({ previous, current });
    }
    for (const key of this.keys()) {
      if (seen.has(key)) continue;
      const previous = this.remove(key);
      if (previous) result.deleted.push(previous);
    }
    return result;
  }

  #index(key: string, object: T): void {
    for (const [name, indexer] of this.#indexers) {
      const values = this.#indexes.get(name);
      if (!values) continue;
      for (const value of indexer(object)) {
        let keys = values.get(value);
        if (!keys) values.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  #unindex(key: string, object: T): void {
    for (const [name, indexer] of this.#indexers) {
      const values = this.#indexes.get(name);
      if (!values) continue;
      for (const value of indexer(object)) {
        const keys = values.get(value);
        keys?.delete(key);
        if (keys?.size === 0) values.delete(value);
      }
    }
  }
}
