/**
 * What a request asks to do, in the terms authorization and audit use (kube-apiserver's RequestInfo): the verb
 * (get/list/watch/create/update/patch/delete/deletecollection for resources, the lower-cased method for other
 * paths), group, resource, subresource, namespace and name. Pure.
 */
import type { UserInfo } from '../objects/context.ts';
import { ApiError, qualifiedResource } from '../status.ts';
import type { Route } from './routes.ts';

export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  /** The URL path (for non-resource requests, what rules' nonResourceURLs match). */
  path: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export function requestAttributes(user: UserInfo, method: string, url: URL, route: Route): RequestAttributes {
  const base = {
    user,
    path: url.pathname,
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
  };
  if (route.type !== 'resource') return { ...base, verb: method.toLowerCase(), resourceRequest: false };
  const { target } = route;
  const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
  const collection = target.name === undefined;
  const verb = resourceVerb(method, collection, watch);
  // kube names the object of a list or watch pinned to one name by a field selector (for resourceNames rules).
  const selected =
    collection && (verb === 'list' || verb === 'watch')
      ? nameFromFieldSelector(url.searchParams.get('fieldSelector'))
      : '';
  return {
    ...base,
    verb,
    resourceRequest: true,
    apiGroup: target.group,
    apiVersion: target.version,
    resource: target.resource,
    subresource: target.subresource ?? '',
    namespace: target.namespace ?? (target.resource === 'namespaces' && target.name ? target.name : ''),
    name: target.name ?? selected,
  };
}

function resourceVerb(method: string, collection: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return collection ? (watch ? 'watch' : 'list') : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return collection ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}

function nameFromFieldSelector(selector: string | null): string {
  for (const term of (selector ?? '').split(',')) {
    const match = /^\s*metadata\.name\s*==?\s*(.+?)\s*$/.exec(term);
    if (match?.[1]) return match[1];
  }
  return '';
}

/** kube-apiserver's 403: `secrets "x" is forbidden: User "u" cannot get resource "secrets" in API group "" in the namespace "ns"`. */
export function forbiddenError(attributes: RequestAttributes, reason: string): ApiError {
  const who = `User ${JSON.stringify(attributes.user.username)}`;
  const why = reason ? `: ${reason}` : '';
  if (!attributes.resourceRequest) {
    return new ApiError(
      403,
      'Forbidden',
      `forbidden: ${who} cannot ${attributes.verb} path ${JSON.stringify(attributes.path)}${why}`,
      {},
    );
  }
  const resource = attributes.subresource
    ? `${attributes.resource}/${attributes.subresource}`
    : attributes.resource;
  const scope = attributes.namespace
    ? `in the namespace ${JSON.stringify(attributes.namespace)}`
    : 'at the cluster scope';
  const action = `${who} cannot ${attributes.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attributes.apiGroup)} ${scope}`;
  const ref = { group: attributes.apiGroup, plural: attributes.resource };
  const subject = attributes.name
    ? `${qualifiedResource(ref)} ${JSON.stringify(attributes.name)}`
    : qualifiedResource(ref);
  return new ApiError(403, 'Forbidden', `${subject} is forbidden: ${action}${why}`, {
    name: attributes.name || undefined,
    group: attributes.apiGroup,
    kind: attributes.resource,
  });
}
