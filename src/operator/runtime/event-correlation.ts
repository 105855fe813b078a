/**
 * Which core/v1 Events to write (pure), as client-go's event recorder decides:
 * - an Event identical to one written less than 10 minutes ago (same source, object, type, reason and message)
 *   is not written again: the earlier one's count and lastTimestamp are bumped;
 * - each source/object pair may emit 25 Events at once, then one every 5 minutes (the spam filter), so that a
 *   hot loop cannot flood etcd.
 * Messages are written by controllers from names and reasons; they must never carry a secret value (the
 * correlator cannot know a value when it sees one, so this is the caller's rule, checked in its tests).
 */
import type { KubeObject } from './resource.ts';
import { TokenBucket } from './token-bucket.ts';

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export type EventType = 'Normal' | 'Warning';

export interface EventInput {
  involvedObject: ObjectReference;
  type: EventType;
  /** UpperCamelCase, machine-readable ("Unsealed", "ErrUpdateFailed"). */
  reason: string;
  /** For humans: names and causes, never values. */
  message: string;
}

export interface EventSource {
  component: string;
  host?: string;
}

export interface CoreEvent extends KubeObject {
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  source: EventSource;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  type: EventType;
  eventTime: null;
  reportingComponent: string;
  reportingInstance: string;
}

export type EventPlan =
  | { action: 'create'; key: string; event: CoreEvent }
  | {
      action: 'patch';
      key: string;
      namespace: string;
      name: string;
      patch: { count: number; lastTimestamp: string; message: string };
    }
  | { action: 'drop' };

export interface CorrelatorOptions {
  /** How long an Event is bumped instead of repeated (client-go's aggregation window: 10 minutes). */
  windowMs?: number;
  /** Events remembered for bumping (client-go: 4096, least recently used forgotten first). */
  maxEntries?: number;
  spamBurst?: number;
  spamQps?: number;
}

const MAX_MESSAGE_LENGTH = 1024;

/** The reference an Event uses for an object. */
export function referenceTo(object: KubeObject): ObjectReference {
  const { namespace, name, uid, resourceVersion } = object.metadata;
  return {
    ...(object.apiVersion ? { apiVersion: object.apiVersion } : {}),
    ...(object.kind ? { kind: object.kind } : {}),
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
    ...(uid ? { uid } : {}),
    ...(resourceVersion ? { resourceVersion } : {}),
  };
}

/** Identical Events share this key (client-go's getEventKey: the resourceVersion is left out). */
export function eventKey(input: EventInput, source: EventSource): string {
  const object = input.involvedObject;
  return JSON.stringify([
    source.component,
    source.host ?? '',
    object.kind ?? '',
    object.namespace ?? '',
    object.name ?? '',
    object.fieldPath ?? '',
    object.uid ?? '',
    object.apiVersion ?? '',
    input.type,
    input.reason,
    input.message,
  ]);
}

/** Events about one object from one source share a spam budget. */
export function spamKey(input: EventInput, source: EventSource): string {
  const object = input.involvedObject;
  return JSON.stringify([
    source.component,
    source.host ?? '',
    object.kind ?? '',
    object.namespace ?? '',
    object.name ?? '',
    object.uid ?? '',
    object.apiVersion ?? '',
  ]);
}

/** metav1.Time: RFC 3339 in whole seconds. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface Recorded {
  namespace: string;
  name: string;
  count: number;
  lastMs: number;
}

export class EventCorrelator {
  readonly #source: EventSource;
  readonly #windowMs: number;
  readonly #maxEntries: number;
  readonly #spamBurst: number;
  readonly #spamQps: number;
  /** Insertion order is recency order (a Map re-inserted on use is an LRU). */
  readonly #recorded = new Map<string, Recorded>();
  readonly #spam = new Map<string, TokenBucket>();
  #sequence = 0;

  constructor(source: EventSource, options: CorrelatorOptions = {}) {
    this.#source = source;
    this.#windowMs = options.windowMs ?? 10 * 60_000;
    this.#maxEntries = options.maxEntries ?? 4096;
    this.#spamBurst = options.spamBurst ?? 25;
    this.#spamQps = options.spamQps ?? 1 / 300;
  }

  plan(input: EventInput, nowMs: number): EventPlan {
    const spam = spamKey(input, this.#source);
    let bucket = this.#spam.get(spam);
    if (!bucket) {
      bucket = new TokenBucket(this.#spamQps, this.#spamBurst, nowMs);
      this.#spam.set(spam, bucket);
      if (this.#spam.size > this.#maxEntries) this.#spam.delete(this.#spam.keys().next().value as string);
    }
    if (!bucket.tryTake(nowMs)) return { action: 'drop' };

    const message =
      input.message.length > MAX_MESSAGE_LENGTH ? input.message.slice(0, MAX_MESSAGE_LENGTH) : input.message;
    const key = eventKey({ ...input, message }, this.#source);
    const previous = this.#recorded.get(key);
    const now = formatTime(nowMs);
    if (previous && nowMs - previous.lastMs < this.#windowMs) {
      return {
        action: 'patch',
        key,
        namespace: previous.namespace,
        name: previous.name,
        patch: { count: previous.count + 1, lastTimestamp: now, message },
      };
    }
    const namespace = input.involvedObject.namespace || 'default';
    const name = `${input.involvedObject.name ?? 'event'}.${this.#uniqueSuffix(nowMs)}`;
    return {
      action: 'create',
      key,
      event: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: input.involvedObject,
        reason: input.reason,
        message,
        source: this.#source.host ? { ...this.#source } : { component: this.#source.component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type: input.type,
        eventTime: null,
        reportingComponent: this.#source.component,
        reportingInstance: this.#source.host ?? '',
      },
    };
  }

  /** The plan's write succeeded: later identical Events bump this one. */
  recorded(key: string, event: { namespace: string; name: string; count: number }, nowMs: number): void {
    this.#recorded.delete(key);
    this.#recorded.set(key, { ...event, lastMs: nowMs });
    if (this.#recorded.size > this.#maxEntries)
      this.#recorded.delete(this.#recorded.keys().next().value as string);
  }

  /** The Event behind `key` is gone (expired by the server's TTL): the next identical one is created afresh. */
  forget(key: string): void {
    this.#recorded.delete(key);
  }

  /** client-go names Events "<object>.<nanoseconds in hex>"; a sequence keeps names unique within a millisecond. */
  #uniqueSuffix(nowMs: number): string {
    this.#sequence = (this.#sequence + 1) % 1_000_000;
    return (BigInt(nowMs) * 1_000_000n + BigInt(this.#sequence)).toString(16);
  }
}
