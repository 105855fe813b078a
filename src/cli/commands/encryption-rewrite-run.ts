/**
 * `cloak encryption rewrite` (see encryption.ts for the flags): every object of the resources listed through the
 * API, page by page, and PUT back unchanged, so that the API server stores it with its current write provider
 * and key (kube-apiserver rewrites a value read through an older provider or key even when nothing changed).
 * Conflict-safe (409: read it again and retry; 404: deleted meanwhile, skipped), resumable (--checkpoint, see
 * src/encryption/tools/rewrite.ts), progress on stderr. Object bodies are sent, never printed.
 */
import { readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { writeFileAtomic } from '../../common/atomic-file.ts';
import { CloakError, UsageError, errorMessage } from '../../common/errors.ts';
import type { KubeResponse } from '../../kube/client.ts';
import { parseResourceList, resourceName, type ToolResource } from '../../encryption/tools/resources.ts';
import {
  DoneMark,
  isDone,
  newCheckpoint,
  objectRef,
  parseCheckpoint,
  progressLine,
  rewriteScope,
  serializeCheckpoint,
  type ResourceProgress,
  type RewriteCheckpoint,
} from '../../encryption/tools/rewrite.ts';
import { ClusterAccess } from '../cluster-access.ts';
import type { RewriteFlags } from './encryption.ts';

/** Writes in flight at once within a page. */
const CONCURRENCY = 4;
const MAX_ATTEMPTS = 5;
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

type Outcome = 'rewritten' | 'gone' | 'failed';

interface ApiResource {
  /** `/api/v1` or `/apis/<group>/<version>`. */
  base: string;
  apiVersion: string;
  kind: string;
  namespaced: boolean;
}

type KubeObject = Record<string, unknown> & { metadata?: { namespace?: unknown; name?: unknown } };

class Api {
  readonly #cluster: ClusterAccess;
  #config: KubeConfig | undefined;

  constructor(cluster: ClusterAccess) {
    this.#cluster = cluster;
  }

  async send(method: 'GET' | 'PUT', path: string, body?: string): Promise<KubeResponse> {
    this.#config ??= await this.#cluster.config();
    const { kubeRequest } = await import('../../kube/client.ts');
    return kubeRequest(this.#config, { method, path, body, timeoutMs: this.#cluster.timeoutMs });
  }

  async json(path: string, what: string): Promise<Record<string, unknown>> {
    const response = await this.send('GET', path);
    if (response.status !== 200)
      throw new CloakError('ERR_REWRITE', `cannot ${what}: ${await message(response)}`);
    return parseJson(response, what);
  }
}

async function message(response: KubeResponse): Promise<string> {
  const { responseMessage } = await import('../../kube/client.ts');
  const text = responseMessage(response);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function parseJson(response: KubeResponse, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(response.body.toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CloakError('ERR_REWRITE', `cannot ${what}: the API server did not answer a JSON object`);
}

export async function runRewrite(flags: RewriteFlags): Promise<void> {
  const resources = parseResourceList(flags.resources);
  if (flags.allNamespaces && flags.namespace !== undefined) {
    throw new UsageError('-n and -A exclude each other (the default is every namespace)');
  }
  const batch = Number(flags.batch);
  if (!/^\d+$/.test(flags.batch) || batch < 1 || batch > 10_000) {
    throw new UsageError(`--batch must be a number from 1 to 10000, not "${flags.batch}"`);
  }
  const namespace = flags.allNamespaces ? undefined : flags.namespace;
  if (namespace === '') throw new UsageError('-n needs a namespace');
  const scope = rewriteScope(namespace);
  const checkpoint =
    flags.checkpoint === undefined ? newCheckpoint(scope) : await loadCheckpoint(flags.checkpoint, scope);
  const save = async (): Promise<void> => {
    if (flags.checkpoint === undefined) return;
    try {
      await writeFileAtomic(flags.checkpoint, serializeCheckpoint(checkpoint), { mode: 0o600 });
    } catch (error) {
      throw new CloakError(
        'ERR_WRITE',
        `cannot write the checkpoint ${flags.checkpoint}: ${errorMessage(error)}`,
      );
    }
  };

  const api = new Api(new ClusterAccess(flags));
  const summaries: string[] = [];
  let failedTotal = 0;
  for (const resource of resources) {
    const progress = (checkpoint.resources[resource.name] ??= {});
    if (progress.complete) {
      summaries.push(`${resource.name}: already done (checkpoint)`);
      continue;
    }
    const info = await discover(api, resource);
    if (!info.namespaced && namespace !== undefined) {
      throw new UsageError(`${resource.name} are not namespaced: leave out -n`);
    }
    const outcome = await rewriteResource(api, resource, info, namespace, batch, progress, save);
    failedTotal += outcome.failed;
    summaries.push(
      `${resource.name}: ${outcome.rewritten} rewritten` +
        (outcome.skipped > 0 ? `, ${outcome.skipped} already done (checkpoint)` : '') +
        (outcome.gone > 0 ? `, ${outcome.gone} deleted meanwhile` : '') +
        `, ${outcome.failed} failed`,
    );
    if (outcome.failed === 0) {
      progress.complete = true;
      await save();
    }
  }
  process.stdout.write(`${summaries.join('\n')}\n`);
  if (failedTotal > 0) {
    const retry =
      flags.checkpoint === undefined
        ? ''
        : `; run again with --checkpoint ${flags.checkpoint} to retry from the first failure`;
    throw new CloakError(
      'ERR_REWRITE',
      `${failedTotal} object${failedTotal === 1 ? '' : 's'} could not be rewritten (see above)${retry}`,
    );
  }
  if (flags.checkpoint !== undefined) await rm(flags.checkpoint, { force: true });
}

async function loadCheckpoint(path: string, scope: string): Promise<RewriteCheckpoint> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return newCheckpoint(scope);
    throw new CloakError('ERR_READ', `cannot read the checkpoint ${path}: ${errorMessage(error)}`);
  }
  return parseCheckpoint(text, path, scope);
}

/** Where the resource is served and how its objects are named, from discovery. */
async function discover(api: Api, resource: ToolResource): Promise<ApiResource> {
  let groupVersion = 'v1';
  let base = '/api/v1';
  if (resource.group !== '') {
    const response = await api.send('GET', `/apis/${encodeURIComponent(resource.group)}`);
    if (response.status === 404) {
      throw new CloakError('ERR_REWRITE', `the API server does not serve the API group ${resource.group}`);
    }
    if (response.status !== 200) {
      throw new CloakError(
        'ERR_REWRITE',
        `cannot discover the API group ${resource.group}: ${await message(response)}`,
      );
    }
    const group = parseJson(response, `discover the API group ${resource.group}`);
    const preferred = (group['preferredVersion'] as { groupVersion?: unknown } | undefined)?.groupVersion;
    if (typeof preferred !== 'string') {
      throw new CloakError('ERR_REWRITE', `the API group ${resource.group} has no preferred version`);
    }
    groupVersion = preferred;
    base = `/apis/${preferred}`;
  }
  const list = await api.json(base, `discover the resources of ${groupVersion}`);
  const entries = Array.isArray(list['resources']) ? (list['resources'] as Record<string, unknown>[]) : [];
  const entry = entries.find((each) => each['name'] === resource.plural);
  if (entry === undefined) {
    throw new CloakError(
      'ERR_REWRITE',
      `the API server does not serve ${resourceName(resource)} (${groupVersion})`,
    );
  }
  const verbs = Array.isArray(entry['verbs']) ? (entry['verbs'] as unknown[]) : [];
  for (const verb of ['list', 'get', 'update']) {
    if (!verbs.includes(verb)) {
      throw new CloakError(
        'ERR_REWRITE',
        `${resource.name} cannot be rewritten: the API server does not allow ${verb}`,
      );
    }
  }
  return {
    base,
    apiVersion: groupVersion,
    kind: typeof entry['kind'] === 'string' ? entry['kind'] : '',
    namespaced: entry['namespaced'] === true,
  };
}

interface ResourceOutcome {
  rewritten: number;
  gone: number;
  failed: number;
  skipped: number;
}

async function rewriteResource(
  api: Api,
  resource: ToolResource,
  info: ApiResource,
  namespace: string | undefined,
  batch: number,
  progress: ResourceProgress,
  save: () => Promise<void>,
): Promise<ResourceOutcome> {
  const collection =
    info.namespaced && namespace !== undefined
      ? `${info.base}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}`
      : `${info.base}/${resource.plural}`;
  const objectPath = (object: KubeObject): string => {
    const name = encodeURIComponent(typeof object.metadata?.name === 'string' ? object.metadata.name : '');
    const ns = object.metadata?.namespace;
    return info.namespaced && typeof ns === 'string' && ns !== ''
      ? `${info.base}/namespaces/${encodeURIComponent(ns)}/${resource.plural}/${name}`
      : `${info.base}/${resource.plural}/${name}`;
  };
  const outcome: ResourceOutcome = { rewritten: 0, gone: 0, failed: 0, skipped: 0 };
  const mark = new DoneMark(progress.last);
  let token = '';
  let total: number | undefined;
  let seen = 0;
  let restarts = 0;
  for (;;) {
    const query = new URLSearchParams({ limit: String(batch) });
    if (token) query.set('continue', token);
    const response = await api.send('GET', `${collection}?${query.toString()}`);
    if (response.status === 410 && token && restarts < 3) {
      // The continue token expired (etcd compacted): list again; what is done is skipped by the mark.
      restarts++;
      token = '';
      seen = 0;
      outcome.skipped = 0;
      progress.last = mark.last;
      continue;
    }
    if (response.status !== 200) {
      throw new CloakError('ERR_REWRITE', `cannot list ${resource.name}: ${await message(response)}`);
    }
    const list = parseJson(response, `list ${resource.name}`);
    const items = (Array.isArray(list['items']) ? list['items'] : []) as KubeObject[];
    const metadata = (list['metadata'] ?? {}) as { continue?: unknown; remainingItemCount?: unknown };
    if (!token) {
      total =
        typeof metadata.remainingItemCount === 'number'
          ? items.length + metadata.remainingItemCount
          : metadata.continue
            ? undefined
            : items.length;
    }
    const pending = items.filter((item) => !isDone(objectRef(item), progress));
    outcome.skipped += items.length - pending.length;
    const results = await mapLimit(pending, CONCURRENCY, (item) =>
      rewriteObject(
        api,
        { ...item, apiVersion: info.apiVersion, kind: info.kind },
        objectPath(item),
        resource,
      ),
    );
    let index = 0;
    for (const item of items) {
      const ref = objectRef(item);
      if (pending[index] === item) {
        const result = results[index++] as Outcome;
        if (result === 'rewritten') outcome.rewritten++;
        else if (result === 'gone') outcome.gone++;
        else outcome.failed++;
        mark.record(ref, result !== 'failed');
      } else {
        mark.record(ref, true);
      }
    }
    seen += items.length;
    // Up to the first failure (the mark stops there): a rerun starts with it.
    progress.last = mark.last;
    progress.done = outcome.rewritten;
    await save();
    process.stderr.write(`${progressLine(resource.name, seen, total)}\n`);
    token = typeof metadata.continue === 'string' ? metadata.continue : '';
    if (!token) return outcome;
  }
}

/** PUTs the object back; on 409 reads it again and retries; 404 means it was deleted meanwhile. */
async function rewriteObject(
  api: Api,
  object: KubeObject,
  path: string,
  resource: ToolResource,
): Promise<Outcome> {
  const label = `${resource.name} ${objectRef(object)}`;
  let body = object;
  let problem = '';
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    let response: KubeResponse;
    try {
      response = await api.send('PUT', path, JSON.stringify(body));
    } catch (error) {
      problem = errorMessage(error);
      await sleep(backoff(attempt));
      continue;
    }
    if (response.status === 200 || response.status === 201) return 'rewritten';
    if (response.status === 404) return 'gone';
    problem = await message(response);
    if (response.status === 409) {
      let fresh: KubeResponse;
      try {
        fresh = await api.send('GET', path);
      } catch (error) {
        problem = errorMessage(error);
        await sleep(backoff(attempt));
        continue;
      }
      if (fresh.status === 404) return 'gone';
      if (fresh.status !== 200) {
        problem = await message(fresh);
        await sleep(backoff(attempt));
        continue;
      }
      try {
        body = {
          ...parseJson(fresh, `read ${label}`),
          apiVersion: object['apiVersion'],
          kind: object['kind'],
        };
      } catch (error) {
        problem = errorMessage(error);
      }
      continue;
    }
    // 500 with "unable to transform" (a value the API server cannot decrypt) will not heal by retrying.
    if (!RETRY_STATUSES.has(response.status) || /unable to transform/i.test(problem)) break;
    await sleep(backoff(attempt));
  }
  process.stderr.write(`failed: ${label}: ${problem.replace(/\s*\n\s*/g, ' ')}\n`);
  return 'failed';
}

function backoff(attempt: number): number {
  return Math.min(2000, 100 * 2 ** (attempt - 1));
}

/** `fn` over `items` with at most `limit` in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}
