/**
 * Impersonation (`kubectl --as`, `--as-group`, `--as-uid`; the Impersonate-* headers), as kube-apiserver's
 * impersonation filter handles it: which `impersonate` checks the requester must pass, and who the request then
 * runs as. Pure: the server authorizes each check (evaluator.ts `authorize`) and answers a failed one with
 * `forbiddenStatus(check, reason)`.
 */
import { CloakError } from '../common/errors.ts';
import {
  ALL_AUTHENTICATED,
  ALL_UNAUTHENTICATED,
  ANONYMOUS,
  serviceAccountGroups,
  serviceAccountUsername,
  splitServiceAccountUsername,
  type RequestAttributes,
  type UserInfo,
} from './types.ts';

export interface ImpersonationRequest {
  /** Impersonate-User */
  user?: string | undefined;
  /** Impersonate-Group, each */
  groups?: readonly string[] | undefined;
  /** Impersonate-Uid */
  uid?: string | undefined;
  /** Impersonate-Extra-<key>, keys already unescaped and lower-cased */
  extra?: Readonly<Record<string, readonly string[]>> | undefined;
}

export class ImpersonationError extends CloakError {
  constructor(message: string) {
    super('ERR_IMPERSONATION', message);
  }
}

export interface Impersonation {
  /** The identity the request runs as. */
  user: UserInfo;
  /** The checks the requester must pass, in kube's order: user or service account, groups, extras, uid. */
  checks: RequestAttributes[];
}

/** Whether the request asks to impersonate anything at all. */
export function wantsImpersonation(request: ImpersonationRequest): boolean {
  return Boolean(
    request.user ||
    (request.groups?.length ?? 0) > 0 ||
    request.uid ||
    Object.keys(request.extra ?? {}).length > 0,
  );
}

/**
 * The impersonated identity and the checks that guard it. Groups, extras or a uid without a user are refused (kube
 * answers 500 for it). A service account user with no groups given gets its service account groups; everyone but
 * `system:anonymous` gets `system:authenticated` unless system:authenticated or system:unauthenticated was asked for;
 * `system:anonymous` gets `system:unauthenticated`.
 */
export function impersonate(requester: UserInfo, request: ImpersonationRequest): Impersonation {
  const username = request.user ?? '';
  const requestedGroups = [...(request.groups ?? [])];
  const extra = Object.fromEntries(
    Object.entries(request.extra ?? {}).map(([key, values]) => [key, [...values]]),
  );
  if (username === '') {
    throw new ImpersonationError(
      'requested impersonation of groups, extras or a uid without impersonating a user',
    );
  }
  const check = (
    attributes: Omit<RequestAttributes, 'user' | 'verb' | 'resourceRequest'>,
  ): RequestAttributes => ({
    user: requester,
    verb: 'impersonate',
    resourceRequest: true,
    ...attributes,
  });
  const checks: RequestAttributes[] = [];
  let groups = requestedGroups;
  const serviceAccount = splitServiceAccountUsername(username);
  if (serviceAccount) {
    checks.push(
      check({
        apiGroup: '',
        resource: 'serviceaccounts',
        namespace: serviceAccount.namespace,
        name: serviceAccount.name,
      }),
    );
    if (requestedGroups.length === 0) groups = serviceAccountGroups(serviceAccount.namespace);
  } else {
    checks.push(check({ apiGroup: '', resource: 'users', name: username }));
  }
  for (const group of requestedGroups) checks.push(check({ apiGroup: '', resource: 'groups', name: group }));
  for (const [key, values] of Object.entries(extra)) {
    for (const value of values) {
      checks.push(
        check({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: value }),
      );
    }
  }
  if (request.uid)
    checks.push(check({ apiGroup: 'authentication.k8s.io', resource: 'uids', name: request.uid }));

  groups = [...groups];
  if (username !== ANONYMOUS) {
    if (!groups.includes(ALL_AUTHENTICATED) && !groups.includes(ALL_UNAUTHENTICATED))
      groups.push(ALL_AUTHENTICATED);
  } else if (!groups.includes(ALL_UNAUTHENTICATED)) {
    groups.push(ALL_UNAUTHENTICATED);
  }
  const user: UserInfo = {
    username: serviceAccount
      ? serviceAccountUsername(serviceAccount.namespace, serviceAccount.name)
      : username,
    groups,
    ...(request.uid ? { uid: request.uid } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
  return { user, checks };
}
