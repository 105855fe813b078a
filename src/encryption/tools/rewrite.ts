/**
 * The pure parts of `cloak encryption rewrite` (every object PUT back unchanged, so that the API server stores
 * it with the current write provider): the checkpoint that makes a run resumable, the order objects are listed
 * in, and the progress lines.
 *
 * The checkpoint records, per resource, the last `namespace/name` up to which every object is done (rewritten,
 * or gone), in list order: the API server lists in etcd key order, which for one resource is the byte order
 * of `namespace/name`. A rerun skips every object at or before it; an object that failed stops the mark, so a
 * rerun retries it (and harmlessly rewrites the ones after it again).
 */
import { compareGoStrings } from '../../common/go-strings.ts';
import { EncryptionToolError } from './errors.ts';

export const CHECKPOINT_KIND = 'cloak.dev/encryption-rewrite-checkpoint';

export interface RewriteCheckpoint {
  kind: typeof CHECKPOINT_KIND;
  /** `all-namespaces`, or `namespace/<ns>`: a checkpoint is only valid for the scope it was made for. */
  scope: string;
  resources: Record<string, ResourceProgress>;
}

export interface ResourceProgress {
  /** Every object at or before this `namespace/name` (or `name`) is done. */
  last?: string | undefined;
  /** Every object of the resource is done. */
  complete?: boolean | undefined;
  /** How many objects were rewritten so far (for the progress lines of a resumed run). */
  done?: number | undefined;
}

export function rewriteScope(namespace: string | undefined): string {
  return namespace === undefined ? 'all-namespaces' : `namespace/${namespace}`;
}

export function newCheckpoint(scope: string): RewriteCheckpoint {
  return { kind: CHECKPOINT_KIND, scope, resources: {} };
}

/** Reads a checkpoint file's text; it must be for `scope`. */
export function parseCheckpoint(text: string, source: string, scope: string): RewriteCheckpoint {
  const fail = (message: string): never => {
    throw new EncryptionToolError('ERR_ENCRYPTION_CHECKPOINT', `${source}: ${message}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('not a rewrite checkpoint (invalid JSON)');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return fail('not a rewrite checkpoint');
  const record = value as Record<string, unknown>;
  if (record['kind'] !== CHECKPOINT_KIND) return fail('not a rewrite checkpoint (wrong kind)');
  if (typeof record['scope'] !== 'string') return fail('not a rewrite checkpoint (no scope)');
  if (record['scope'] !== scope) {
    return fail(
      `was made for ${describeScope(record['scope'])}, not ${describeScope(scope)}: use the same -n/-A, or remove the file to start over`,
    );
  }
  const resources = record['resources'];
  if (resources === null || typeof resources !== 'object' || Array.isArray(resources)) {
    return fail('not a rewrite checkpoint (no resources)');
  }
  const parsed: Record<string, ResourceProgress> = {};
  for (const [resource, progress] of Object.entries(resources as Record<string, unknown>)) {
    if (progress === null || typeof progress !== 'object')
      return fail(`resources.${resource} is not an object`);
    const { last, complete, done } = progress as Record<string, unknown>;
    if (last !== undefined && typeof last !== 'string')
      return fail(`resources.${resource}.last is not a string`);
    if (complete !== undefined && typeof complete !== 'boolean') {
      return fail(`resources.${resource}.complete is not a boolean`);
    }
    if (done !== undefined && (typeof done !== 'number' || !Number.isSafeInteger(done) || done < 0)) {
      return fail(`resources.${resource}.done is not a count`);
    }
    parsed[resource] = {
      ...(last === undefined ? {} : { last }),
      ...(complete === undefined ? {} : { complete }),
      ...(done === undefined ? {} : { done }),
    };
  }
  return { kind: CHECKPOINT_KIND, scope, resources: parsed };
}

function describeScope(scope: string): string {
  return scope === 'all-namespaces' ? 'all namespaces (-A)' : scope.replace(/^namespace\//, 'namespace ');
}

export function serializeCheckpoint(checkpoint: RewriteCheckpoint): string {
  return `${JSON.stringify(checkpoint, null, 2)}\n`;
}

/** `namespace/name` of a listed object, or `name` for a cluster-scoped one. */
export function objectRef(object: {
  metadata?: { namespace?: unknown; name?: unknown } | undefined;
}): string {
  const namespace = object.metadata?.namespace;
  const name = typeof object.metadata?.name === 'string' ? object.metadata.name : '';
  return typeof namespace === 'string' && namespace !== '' ? `${namespace}/${name}` : name;
}

/** Whether the checkpoint says `ref` is done: at or before the mark, in list (byte) order. */
export function isDone(ref: string, progress: ResourceProgress | undefined): boolean {
  if (progress?.complete) return true;
  return progress?.last !== undefined && compareGoStrings(ref, progress.last) <= 0;
}

/**
 * Tracks a batch's outcomes in list order and moves the mark over the longest run of finished objects from
 * the start (a failed object stops it).
 */
export class DoneMark {
  #last: string | undefined;
  #blocked = false;

  constructor(last: string | undefined) {
    this.#last = last;
  }

  /** Record, in list order, each object's outcome. */
  record(ref: string, finished: boolean): void {
    if (this.#blocked) return;
    if (!finished) {
      this.#blocked = true;
      return;
    }
    if (this.#last === undefined || compareGoStrings(ref, this.#last) > 0) this.#last = ref;
  }

  get last(): string | undefined {
    return this.#last;
  }

  get blocked(): boolean {
    return this.#blocked;
  }
}

/** `rewrote 120/3400 secrets` (the total when the API server says how many remain, else without it). */
export function progressLine(resource: string, done: number, total: number | undefined): string {
  return total === undefined ? `rewrote ${done} ${resource}` : `rewrote ${done}/${total} ${resource}`;
}
