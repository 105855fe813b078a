/**
 * The machinery the built-in control loops share: an informer (list, then follow the resource's watch cache,
 * keeping a local copy) and a work queue (each key processed by one worker at a time, duplicates merged,
 * failures retried with exponential backoff). Controllers run in the server process and act through the same
 * REST storage clients use, as the system user.
 */
import type { RequestContext, Scope } from '../objects/context.ts';
import type { RestStorage } from '../objects/rest.ts';
import type { KubeObject } from '../objects/object.ts';
import type { ObjectStore } from '../objects/store.ts';
import type { Subscription, WatchCache } from '../objects/watch-cache.ts';
import type { ResourceInfo } from '../resources.ts';
import { ApiError } from '../status.ts';
import { EVERY_FIELD, EVERYTHING } from '../selectors.ts';

export type Reporter = (error: unknown, where: string) => void;

export function systemContext(component: string): RequestContext {
  return {
    user: { username: `system:${component}`, groups: ['system:masters', 'system:authenticated'] },
    now: new Date(),
    userAgent: `${component}/v1.32.0 (linux/amd64) cloak`,
    warnings: [],
  };
}

export interface InformerHandlers {
  added?(object: KubeObject): void;
  updated?(object: KubeObject, previous: KubeObject | undefined): void;
  deleted?(object: KubeObject): void;
}

/** A local, always-current copy of one resource's objects. */
export class Informer {
  readonly info: ResourceInfo;
  readonly #objects = new Map<string, KubeObject>();
  readonly #handlers: InformerHandlers[] = [];
  #subscription: Subscription | undefined;
  #started = false;

  constructor(info: ResourceInfo) {
    this.info = info;
  }

  on(handlers: InformerHandlers): void {
    this.#handlers.push(handlers);
  }

  get started(): boolean {
    return this.#started;
  }

  async start(store: ObjectStore, cache: WatchCache, report: Reporter): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await cache.ready();
    const page = await store.listReadable(this.info, (error) =>
      report(error, `${this.info.plural} informer`),
    );
    for (const item of page.items) this.#objects.set(item.key, item.object);
    for (const object of this.#objects.values())
      for (const handler of this.#handlers) handler.added?.(object);
    this.#subscription = await cache.subscribe(
      page.revision,
      { keyPrefix: `${this.info.storagePrefix}/`, labels: EVERYTHING, fields: EVERY_FIELD },
      {
        event: (type, event) => {
          const previous = this.#objects.get(event.key);
          if (type === 'DELETED') this.#objects.delete(event.key);
          else this.#objects.set(event.key, event.object);
          for (const handler of this.#handlers) {
            if (type === 'ADDED') handler.added?.(event.object);
            else if (type === 'MODIFIED') handler.updated?.(event.object, previous);
            else handler.deleted?.(event.object);
          }
        },
        error: () => undefined,
      },
    );
  }

  stop(): void {
    this.#subscription?.close();
  }

  list(): KubeObject[] {
    return [...this.#objects.values()];
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    const key = this.info.namespaced
      ? `${this.info.storagePrefix}/${namespace ?? ''}/${name}`
      : `${this.info.storagePrefix}/${name}`;
    return this.#objects.get(key);
  }
}

/** Keys waiting to be reconciled; one at a time per key, retried with backoff when the handler throws. */
export class WorkQueue {
  readonly #handler: (key: string) => Promise<void>;
  readonly #report: Reporter;
  readonly #name: string;
  readonly #queued = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #running = false;
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(name: string, handler: (key: string) => Promise<void>, report: Reporter) {
    this.#name = name;
    this.#handler = handler;
    this.#report = report;
  }

  add(key: string): void {
    if (this.#stopped) return;
    this.#queued.add(key);
    if (!this.#running) void this.#drain();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#timers.add(timer);
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#queued.clear();
  }

  /** Resolves once nothing is queued or running (tests and shutdown). */
  idle(): Promise<void> {
    if (!this.#running && this.#queued.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#queued.size > 0 && !this.#stopped) {
      const key = this.#queued.values().next().value as string;
      this.#queued.delete(key);
      try {
        await this.#handler(key);
        this.#failures.delete(key);
      } catch (error) {
        const failures = (this.#failures.get(key) ?? 0) + 1;
        this.#failures.set(key, failures);
        // A conflict means the cache had not caught up with a write yet: retried, not worth a log line.
        const conflict = error instanceof ApiError && error.code === 409;
        if (!conflict && (failures === 1 || failures % 10 === 0)) this.#report(error, `${this.#name} ${key}`);
        this.addAfter(key, Math.min(5 * 2 ** failures, 30_000));
      }
    }
    this.#running = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}

const EVERY_OBJECT = {
  labels: EVERYTHING,
  fields: EVERY_FIELD,
  limit: 0,
  continueToken: undefined,
  resourceVersion: undefined,
  resourceVersionMatch: undefined,
};

/** Deletes every object in `scope` (background propagation); returns how many are still there (finalizers). */
export async function deleteEverything(rest: RestStorage, scope: Scope, component: string): Promise<number> {
  await rest.deleteCollection(
    scope,
    EVERY_OBJECT,
    { dryRun: false, propagationPolicy: 'Background' },
    systemContext(component),
  );
  return (await rest.list(scope, EVERY_OBJECT)).items.length;
}

/** `namespace/name` (or `name`), the key controllers queue. */
export function objectKey(object: KubeObject): string {
  const { namespace, name = '' } = object.metadata;
  return namespace ? `${namespace}/${name}` : name;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
