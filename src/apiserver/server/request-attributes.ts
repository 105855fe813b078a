/**
 * What a request asks to do, in the terms authorization and audit use (kube-apiserver's RequestInfo): the verb
 * (get/list/watch/create/update/patch/delete/deletecollection for resources, the lower-cased method for other
 * paths), group, resource, subresource, namespace and name. Pure.
 */
import { forbiddenStatus } from '../../rbac/evaluator.ts';
import type { RequestAttributes as RbacAttributes } from '../../rbac/types.ts';
import type { UserInfo } from '../objects/context.ts';
import { ApiError } from '../status.ts';
import type { Route } from './routes.ts';

/** The attributes src/rbac authorizes, every field filled in. */
export interface RequestAttributes extends RbacAttributes {
  user: UserInfo & { groups: readonly string[] };
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

/** kube-apiserver's 403 (`secrets "x" is forbidden: User "u" cannot get resource "secrets" …`), as src/rbac words it. */
export function forbiddenError(attributes: RbacAttributes, reason: string): ApiError {
  const status = forbiddenStatus(attributes, reason);
  return new ApiError(status.code, status.reason, status.message, status.details);
}
