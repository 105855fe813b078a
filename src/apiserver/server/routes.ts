/**
 * URL paths of the Kubernetes API, parsed into what they address: a discovery document, a collection, one
 * object, or a subresource. Pure.
 *
 *   /api/v1/namespaces/{ns}/{resource}[/{name}[/{subresource}]]
 *   /api/v1/{resource}[/{name}[/{subresource}]]          (cluster-scoped, or every namespace)
 *   /apis/{group}/{version}/...                           (the same shapes)
 *   /api/v1/namespaces/{ns}/services/{name}/proxy[/{path…}]  (the proxy subresource: the rest of the path is
 *                                                         the backend's, kept as sent, percent-escapes and all)
 */
export type Route =
  | { type: 'discovery-core' }
  | { type: 'discovery-groups' }
  | { type: 'discovery-group'; group: string }
  | { type: 'discovery-resources'; group: string; version: string }
  | { type: 'resource'; target: ResourceTarget }
  | { type: 'version' }
  | { type: 'health'; check: 'healthz' | 'livez' | 'readyz'; detail: string | undefined }
  | { type: 'openapi-index' }
  | { type: 'openapi-v2' }
  | { type: 'openapi-group-version'; group: string; version: string }
  | { type: 'not-found' };

export interface ResourceTarget {
  group: string;
  version: string;
  /** Undefined for cluster-scoped resources and all-namespace collections. */
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
  subresource: string | undefined;
  /** For the `proxy` subresource: the raw path after `/proxy` (``, `/`, `/v1/cert.pem`), query excluded. */
  proxyPath?: string | undefined;
}

export function parseRoute(pathname: string): Route {
  const segments = pathname.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '.' || segment === '..')) return { type: 'not-found' };
  let decoded: string[];
  try {
    decoded = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    return { type: 'not-found' };
  }
  const [first, ...rest] = decoded;
  switch (first) {
    case 'api':
      return withProxyPath(apiRoute(rest), pathname);
    case 'apis':
      return withProxyPath(apisRoute(rest), pathname);
    case 'version':
      return rest.length === 0 ? { type: 'version' } : { type: 'not-found' };
    case 'healthz':
    case 'livez':
    case 'readyz':
      return { type: 'health', check: first, detail: rest.length > 0 ? rest.join('/') : undefined };
    case 'openapi':
      return openApiRoute(rest);
    default:
      return { type: 'not-found' };
  }
}

function apiRoute(rest: string[]): Route {
  if (rest.length === 0) return { type: 'discovery-core' };
  const [version = '', ...tail] = rest;
  if (tail.length === 0) return { type: 'discovery-resources', group: '', version };
  return resourceRoute('', version, tail);
}

function apisRoute(rest: string[]): Route {
  if (rest.length === 0) return { type: 'discovery-groups' };
  const [group = '', version, ...tail] = rest;
  if (version === undefined) return { type: 'discovery-group', group };
  if (tail.length === 0) return { type: 'discovery-resources', group, version };
  return resourceRoute(group, version, tail);
}

/** Namespace subresources (`/namespaces/x/status`) look like namespaced collections; kube decides by name. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function resourceRoute(group: string, version: string, tail: string[]): Route {
  const isNamespacedPath =
    tail[0] === 'namespaces' &&
    tail.length >= 3 &&
    !(tail.length === 3 && NAMESPACE_SUBRESOURCES.has(tail[2] ?? ''));
  if (isNamespacedPath) {
    const [, namespace, resource = '', name, subresource, ...extra] = tail;
    if (extra.length > 0 && subresource !== PROXY) return { type: 'not-found' };
    return { type: 'resource', target: { group, version, namespace, resource, name, subresource } };
  }
  const [resource = '', name, subresource, ...extra] = tail;
  if (extra.length > 0 && subresource !== PROXY) return { type: 'not-found' };
  return { type: 'resource', target: { group, version, namespace: undefined, resource, name, subresource } };
}

const PROXY = 'proxy';

/** A proxy route keeps the raw rest of the path (the segment count says where `proxy` ends). */
function withProxyPath(route: Route, pathname: string): Route {
  if (route.type !== 'resource' || route.target.subresource !== PROXY) return route;
  const { target } = route;
  // api [version] | apis group version, then [namespaces ns], then resource name proxy.
  const segmentsBefore = (target.group ? 3 : 2) + (target.namespace !== undefined ? 2 : 0) + 3;
  let at = 0;
  for (let seen = 0; seen < segmentsBefore; seen++) {
    while (pathname[at] === '/') at++;
    const next = pathname.indexOf('/', at);
    at = next < 0 ? pathname.length : next;
  }
  return { type: 'resource', target: { ...target, proxyPath: pathname.slice(at) } };
}

function openApiRoute(rest: string[]): Route {
  if (rest[0] === 'v2' && rest.length === 1) return { type: 'openapi-v2' };
  if (rest[0] !== 'v3') return { type: 'not-found' };
  if (rest.length === 1) return { type: 'openapi-index' };
  if (rest[1] === 'api' && rest.length === 3)
    return { type: 'openapi-group-version', group: '', version: rest[2] ?? '' };
  if (rest[1] === 'apis' && rest.length === 4)
    return { type: 'openapi-group-version', group: rest[2] ?? '', version: rest[3] ?? '' };
  return { type: 'not-found' };
}
