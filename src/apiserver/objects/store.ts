/**
 * Objects in the key-value store, as kube-apiserver keeps them: one key per object
 * (`<prefix>/<namespace>/<name>`), the value encoded by the resource's codec and then passed through the
 * transformer chain (where encryption at rest plugs in), resourceVersion never stored but taken from the
 * key's mod revision when read.
 */
import { decodeStored, encodeForStorage } from '../codec/codec.ts';
import {
  StorageConflictError,
  type ListOptions,
  type Storage,
  type StoredValue,
} from '../storage/storage.ts';
import { IDENTITY_TRANSFORMER, type ValueTransformer } from '../storage/transformer.ts';
import { apiVersionOf, type ResourceInfo } from '../resources.ts';
import { internalError } from '../status.ts';
import { errorMessage } from '../../common/errors.ts';
import type { KubeObject } from './object.ts';

export interface StoredObject {
  object: KubeObject;
  key: string;
  modRevision: number;
  /** Read through a provider or key that is not the current write one: the next update must rewrite it. */
  stale?: boolean | undefined;
}

/** The transformer chain for a resource (encryption at rest is configured per resource). */
export type TransformerSource = (resource: { group: string; plural: string }) => ValueTransformer;

export const IDENTITY_SOURCE: TransformerSource = () => IDENTITY_TRANSFORMER;

export interface ObjectPage {
  items: StoredObject[];
  revision: number;
  /** The key the next page starts after, when there is one. */
  lastKey?: string | undefined;
  remaining?: number | undefined;
}

export class ObjectStore {
  readonly storage: Storage;
  #transformers: TransformerSource;

  constructor(storage: Storage, transformers: TransformerSource = IDENTITY_SOURCE) {
    this.storage = storage;
    this.#transformers = transformers;
  }

  /** Swaps the transformer chains (an encryption configuration reloaded while the server runs). */
  setTransformers(transformers: TransformerSource): void {
    this.#transformers = transformers;
  }

  key(info: ResourceInfo, namespace: string | undefined, name: string): string {
    return info.namespaced
      ? `${info.storagePrefix}/${namespace ?? ''}/${name}`
      : `${info.storagePrefix}/${name}`;
  }

  /** The key prefix of a collection: one namespace, or every namespace when `namespace` is undefined. */
  collectionPrefix(info: ResourceInfo, namespace: string | undefined): string {
    return info.namespaced && namespace !== undefined
      ? `${info.storagePrefix}/${namespace}/`
      : `${info.storagePrefix}/`;
  }

  async get(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
  ): Promise<StoredObject | undefined> {
    const stored = await this.storage.get(this.key(info, namespace, name));
    return stored && (await this.decode(info, stored));
  }

  async list(
    info: ResourceInfo,
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<ObjectPage> {
    const result = await this.storage.list(this.collectionPrefix(info, namespace), options);
    const items = await Promise.all(result.items.map((stored) => this.decode(info, stored)));
    return {
      items,
      revision: result.revision,
      lastKey: result.more ? result.items.at(-1)?.key : undefined,
      remaining: result.more ? result.remaining : undefined,
    };
  }

  async create(info: ResourceInfo, object: KubeObject): Promise<StoredObject> {
    const key = this.key(info, object.metadata.namespace, object.metadata.name ?? '');
    const stored = await this.storage.create(key, await this.encode(info, object, key));
    return this.#written(object, stored);
  }

  /** Writes `object` over the version with `expectedModRevision`; StorageConflictError when it changed. */
  async update(info: ResourceInfo, object: KubeObject, expectedModRevision: number): Promise<StoredObject> {
    const key = this.key(info, object.metadata.namespace, object.metadata.name ?? '');
    const stored = await this.storage.update(key, await this.encode(info, object, key), expectedModRevision);
    return this.#written(object, stored);
  }

  async delete(info: ResourceInfo, current: StoredObject): Promise<StoredObject> {
    const { revision } = await this.storage.delete(current.key, current.modRevision);
    const object = {
      ...current.object,
      metadata: { ...current.object.metadata, resourceVersion: String(revision) },
    };
    return { object, key: current.key, modRevision: revision };
  }

  /**
   * Every object in the collection that can be read, and how many could not (a value the configured
   * encryption cannot open): control loops carry on around them, as kube's controllers do.
   */
  async listReadable(info: ResourceInfo, onUnreadable: (error: unknown) => void): Promise<ObjectPage> {
    const result = await this.storage.list(this.collectionPrefix(info, undefined));
    const items: StoredObject[] = [];
    for (const stored of result.items) {
      try {
        items.push(await this.decode(info, stored));
      } catch (error) {
        onUnreadable(error);
      }
    }
    return { items, revision: result.revision };
  }

  async decode(info: ResourceInfo, stored: StoredValue): Promise<StoredObject> {
    const { value, stale } = await this.#fromStorage(info, stored);
    const object = decodeStored(value) as KubeObject;
    if (info.crd) object.apiVersion = apiVersionOf(info);
    object.metadata = { ...object.metadata, resourceVersion: String(stored.modRevision) };
    return { object, key: stored.key, modRevision: stored.modRevision, ...(stale ? { stale } : {}) };
  }

  /** kube-apiserver's 500 for a value it cannot transform names the key and the reason, never the data. */
  async #fromStorage(info: ResourceInfo, stored: StoredValue) {
    try {
      return await this.#transformers(info).fromStorage(stored.value, stored.key);
    } catch (error) {
      throw internalError(`unable to transform key ${JSON.stringify(stored.key)}: ${errorMessage(error)}`);
    }
  }

  async encode(info: ResourceInfo, object: KubeObject, key: string): Promise<Uint8Array> {
    const metadata = { ...object.metadata };
    delete metadata.resourceVersion;
    delete metadata.selfLink;
    const stored: KubeObject = { ...object, metadata };
    if (info.crd) stored.apiVersion = `${info.group}/${info.storageVersion}`;
    try {
      return await this.#transformers(info).toStorage(encodeForStorage(info.codec, stored), key);
    } catch (error) {
      throw internalError(`unable to transform key ${JSON.stringify(key)}: ${errorMessage(error)}`);
    }
  }

  #written(object: KubeObject, stored: StoredValue): StoredObject {
    const written = {
      ...object,
      metadata: { ...object.metadata, resourceVersion: String(stored.modRevision) },
    };
    return { object: written, key: stored.key, modRevision: stored.modRevision };
  }
}

export function isConflict(
  error: unknown,
  reason?: StorageConflictError['reason'],
): error is StorageConflictError {
  return error instanceof StorageConflictError && (reason === undefined || error.reason === reason);
}
