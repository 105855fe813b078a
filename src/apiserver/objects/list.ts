/**
 * LIST semantics: selectors applied to stored objects, `limit` + `continue` paging that reads every page at the
 * first page's revision (so a paged list is one consistent snapshot), and the continue token in
 * kube-apiserver's shape (base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}`).
 */
import { StorageCompactedError } from '../storage/storage.ts';
import type { FieldSelector, Selector } from '../selectors.ts';
import { ApiError, badRequest, gone } from '../status.ts';
import type { ResourceInfo } from '../resources.ts';
import type { ObjectStore, StoredObject } from './store.ts';
import { selectableFields } from './fields.ts';

export interface ListQuery {
  namespace: string | undefined;
  labels: Selector;
  fields: FieldSelector;
  limit: number;
  continueToken: string | undefined;
  resourceVersion: string | undefined;
  resourceVersionMatch: string | undefined;
}

export interface ListOutcome {
  items: StoredObject[];
  revision: number;
  continueToken?: string | undefined;
  remainingItemCount?: number | undefined;
}

interface ContinueState {
  revision: number;
  /** The storage key the next page starts after. */
  afterKey: string;
}

export const CONTINUE_EXPIRED_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results.';

const PAGE_READ_SIZE = 500;

export async function listObjects(
  store: ObjectStore,
  info: ResourceInfo,
  query: ListQuery,
): Promise<ListOutcome> {
  const prefix = store.collectionPrefix(info, query.namespace);
  const start = startOf(query, prefix);
  const filtered = !query.labels.empty || !query.fields.empty;
  const items: StoredObject[] = [];
  let after = start.afterKey;
  let revision = start.revision;
  for (;;) {
    const want = query.limit > 0 ? query.limit - items.length : 0;
    const page = await readPage(store, info, query.namespace, {
      limit: filtered && want > 0 ? Math.max(want, PAGE_READ_SIZE) : want,
      after,
      revision,
    });
    revision = page.revision;
    for (const [index, item] of page.items.entries()) {
      if (!matches(item, query)) continue;
      items.push(item);
      if (query.limit > 0 && items.length === query.limit) {
        const more = index < page.items.length - 1 || page.lastKey !== undefined;
        return finish(
          items,
          revision,
          more ? item.key : undefined,
          prefix,
          filtered ? undefined : page.remaining,
        );
      }
    }
    if (page.lastKey === undefined) return { items, revision };
    after = page.lastKey;
  }
}

function matches(item: StoredObject, query: ListQuery): boolean {
  return (
    query.labels.matches(item.object.metadata.labels) &&
    (query.fields.empty || query.fields.matches(selectableFields(item.object)))
  );
}

async function readPage(
  store: ObjectStore,
  info: ResourceInfo,
  namespace: string | undefined,
  options: { limit: number; after: string | undefined; revision: number | undefined },
) {
  try {
    return await store.list(info, namespace, options);
  } catch (error) {
    if (error instanceof StorageCompactedError) {
      throw options.after === undefined
        ? gone(`too old resource version: ${options.revision ?? 0} (${error.compactedRevision})`)
        : gone(CONTINUE_EXPIRED_MESSAGE);
    }
    throw error;
  }
}

function finish(
  items: StoredObject[],
  revision: number,
  lastKey: string | undefined,
  prefix: string,
  remainingAfterPage: number | undefined,
): ListOutcome {
  if (lastKey === undefined) return { items, revision };
  const token = encodeContinue({ revision, afterKey: lastKey }, prefix);
  return { items, revision, continueToken: token, remainingItemCount: remainingAfterPage };
}

function startOf(
  query: ListQuery,
  prefix: string,
): { afterKey: string | undefined; revision: number | undefined } {
  if (query.continueToken) {
    if (query.resourceVersion && query.resourceVersion !== '0') {
      throw badRequest('specifying resource version is not allowed when using continue');
    }
    const state = decodeContinue(query.continueToken, prefix);
    return { afterKey: state.afterKey, revision: state.revision };
  }
  return { afterKey: undefined, revision: exactRevision(query) };
}

/** A list at an exact revision (`resourceVersionMatch=Exact`); otherwise the latest state is read. */
function exactRevision(query: ListQuery): number | undefined {
  const match = query.resourceVersionMatch;
  if (match === undefined || match === '') return undefined;
  if (match !== 'Exact' && match !== 'NotOlderThan') {
    throw invalidListOption('resourceVersionMatch', match, 'must be one of: Exact, NotOlderThan');
  }
  if (!query.resourceVersion) {
    throw invalidListOption(
      'resourceVersionMatch',
      match,
      'resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
  }
  if (match === 'Exact') {
    const revision = parseResourceVersion(query.resourceVersion);
    if (revision === 0)
      throw invalidListOption(
        'resourceVersionMatch',
        match,
        'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
      );
    return revision;
  }
  return undefined;
}

function invalidListOption(field: string, value: string, message: string): ApiError {
  return new ApiError(
    422,
    'Invalid',
    `ListOptions.meta.k8s.io "" is invalid: ${field}: Invalid value: "${value}": ${message}`,
    {
      group: 'meta.k8s.io',
      kind: 'ListOptions',
      causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: "${value}": ${message}`, field }],
    },
  );
}

/** A resourceVersion query parameter as a revision; kube answers a malformed one with 400. */
export function parseResourceVersion(text: string): number {
  if (!/^\d+$/.test(text)) throw badRequest(`invalid resource version: ${text}`);
  const revision = Number(text);
  if (!Number.isSafeInteger(revision)) throw badRequest(`invalid resource version: ${text}`);
  return revision;
}

export function encodeContinue(state: ContinueState, prefix: string): string {
  const body = JSON.stringify({
    v: 'meta.k8s.io/v1',
    rv: state.revision,
    start: `${state.afterKey.slice(prefix.length)}\u0000`,
  });
  return Buffer.from(body).toString('base64url');
}

function decodeContinue(token: string, prefix: string): ContinueState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data or malformed JSON');
  }
  const fields = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (fields.v !== 'meta.k8s.io/v1')
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  if (typeof fields.rv !== 'number' || !Number.isSafeInteger(fields.rv) || fields.rv <= 0) {
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
  if (
    typeof fields.start !== 'string' ||
    fields.start === '' ||
    fields.start.includes('/..') ||
    fields.start.startsWith('..')
  ) {
    throw badRequest('continue key is not valid: encoded start key is invalid');
  }
  return {
    revision: fields.rv,
    afterKey: prefix + (fields.start.endsWith('\u0000') ? fields.start.slice(0, -1) : fields.start),
  };
}
