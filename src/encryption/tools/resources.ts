/**
 * Which resources a tool works on, and where they live: `--resources` values (`secrets`, `configmaps`,
 * `widgets.example.com`) ⇄ group/resource ⇄ the etcd key prefix kube-apiserver stores them under, and back from
 * an etcd key to its resource. Also which entry of an EncryptionConfiguration covers a resource, with kube's
 * precedence (exact, then `*.group`, then `*.*`). Pure.
 */
import { UsageError } from '../../common/errors.ts';
import { builtinResources } from '../../apiserver/resources.ts';
import { parseGroupResource, type EncryptionConfiguration, type ProviderConfiguration } from '../config.ts';
import type { ResourceRef } from '../transformer.ts';

export const DEFAULT_ETCD_PREFIX = '/registry';

export interface ToolResource extends ResourceRef {
  /** As the user wrote it: `secrets`, `widgets.example.com`. */
  name: string;
}

/** Parses a comma-separated `--resources` value: lowercase `plural` or `plural.group`, no wildcards. */
export function parseResourceList(value: string, flag = '--resources'): ToolResource[] {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new UsageError(`${flag} needs at least one resource, e.g. secrets`);
  const seen = new Set<string>();
  return names.map((name) => {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name)) {
      throw new UsageError(
        `${flag}: "${name}" is not a resource: use lowercase plural names such as secrets or widgets.example.com`,
      );
    }
    if (seen.has(name)) throw new UsageError(`${flag}: "${name}" is listed twice`);
    seen.add(name);
    const { group, resource } = parseGroupResource(name);
    return { name, group, plural: resource };
  });
}

let builtins: Map<string, string> | undefined;

/** group/plural → path under the etcd prefix, for the built-ins whose path is not the plural (or the group's). */
function builtinPaths(): Map<string, string> {
  builtins ??= new Map(
    builtinResources()
      .filter((info) => info.virtual !== true)
      .map((info) => [`${info.group}/${info.plural}`, info.storagePrefix.replace(/^\/registry\//, '')]),
  );
  return builtins;
}

/**
 * The etcd key prefix of a resource's objects, with a trailing slash: `/registry/secrets/`. Core resources and
 * known built-ins are stored under their plural (kube drops most built-in groups), custom resources under
 * `<group>/<plural>`.
 */
export function resourceKeyPrefix(resource: ResourceRef, etcdPrefix = DEFAULT_ETCD_PREFIX): string {
  const base = etcdPrefix.replace(/\/+$/, '');
  const path =
    builtinPaths().get(`${resource.group}/${resource.plural}`) ??
    (resource.group === '' ? resource.plural : `${resource.group}/${resource.plural}`);
  return `${base}/${path}/`;
}

export interface EtcdKeyParts extends ResourceRef {
  /** Namespaced objects only. */
  namespace?: string | undefined;
  name: string;
}

/**
 * The resource, namespace and name of an etcd key: `/registry/secrets/default/a` → secrets, default, a;
 * `/registry/example.com/widgets/ns/w` → widgets.example.com. Undefined for keys outside `etcdPrefix`.
 */
export function parseEtcdKey(key: string, etcdPrefix = DEFAULT_ETCD_PREFIX): EtcdKeyParts | undefined {
  const base = `${etcdPrefix.replace(/\/+$/, '')}/`;
  if (!key.startsWith(base)) return undefined;
  const segments = key.slice(base.length).split('/');
  for (const [path, ref] of builtinByPath()) {
    const depth = path.split('/').length;
    if (segments.slice(0, depth).join('/') === path) {
      return withObject(ref, segments.slice(depth));
    }
  }
  const [first = '', second = ''] = segments;
  if (first.includes('.') && segments.length >= 3) {
    return withObject({ group: first, plural: second }, segments.slice(2));
  }
  return withObject({ group: '', plural: first }, segments.slice(1));
}

function builtinByPath(): [string, ResourceRef][] {
  return [...builtinPaths()]
    .map(([groupPlural, path]): [string, ResourceRef] => {
      const slash = groupPlural.indexOf('/');
      return [path, { group: groupPlural.slice(0, slash), plural: groupPlural.slice(slash + 1) }];
    })
    .sort((a, b) => b[0].length - a[0].length);
}

function withObject(ref: ResourceRef, rest: string[]): EtcdKeyParts | undefined {
  if (ref.plural === '' || rest.length === 0 || rest.some((segment) => segment === '')) return undefined;
  const name = rest.at(-1) as string;
  return rest.length === 1 ? { ...ref, name } : { ...ref, namespace: rest.at(-2), name };
}

/** `secrets`, `widgets.example.com`: how a resource is named in messages and flags. */
export function resourceName(ref: ResourceRef): string {
  return ref.group === '' ? ref.plural : `${ref.plural}.${ref.group}`;
}

/**
 * The index of the configuration entry whose providers write `resource` (kube's lookup: the exact
 * group/resource, then `*.group`, then `*.*`); undefined when no entry covers it (kube then stores plain text).
 */
export function coveringEntry(config: EncryptionConfiguration, resource: ResourceRef): number | undefined {
  for (const wanted of [`${resource.group}/${resource.plural}`, `${resource.group}/*`, '*/*']) {
    const index = config.resources.findIndex((entry) =>
      entry.resources.some((text) => {
        const parsed = parseGroupResource(text);
        return `${parsed.group}/${parsed.resource}` === wanted;
      }),
    );
    if (index !== -1) return index;
  }
  return undefined;
}

/**
 * Every provider that may read `resource`, in order (the first writes): kube appends the providers of every
 * entry that names the same group/resource; identity alone when nothing covers it.
 */
export function resourceProviders(
  config: EncryptionConfiguration,
  resource: ResourceRef,
): ProviderConfiguration[] {
  for (const wanted of [`${resource.group}/${resource.plural}`, `${resource.group}/*`, '*/*']) {
    const providers = config.resources
      .filter((entry) =>
        entry.resources.some((text) => {
          const parsed = parseGroupResource(text);
          return `${parsed.group}/${parsed.resource}` === wanted;
        }),
      )
      .flatMap((entry) => entry.providers);
    if (providers.length > 0) return providers;
  }
  return [{ type: 'identity' }];
}
