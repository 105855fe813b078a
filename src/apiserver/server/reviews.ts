/**
 * The create-only review resources, answered and never stored: access reviews (`kubectl auth can-i`, with
 * `--list` and `--as`), SelfSubjectReview (`kubectl auth whoami`) and TokenReview (what webhooks and
 * sidecars use to check a bearer token).
 */
import {
  localSubjectAccessReview,
  selfSubjectAccessReview,
  selfSubjectRulesReview,
  subjectAccessReview,
} from '../../rbac/review.ts';
import type { RbacIndex } from '../../rbac/evaluator.ts';
import type { RequestContext, Scope, UserInfo } from '../objects/context.ts';
import { isPlainObject, kubeTimestamp } from '../objects/object.ts';
import { methodNotAllowed } from '../status.ts';

export interface ReviewDependencies {
  rbacIndex: () => RbacIndex;
  /** The user a bearer token stands for (undefined when it is not valid here). */
  authenticateToken: (token: string) => Promise<UserInfo | undefined>;
}

export class ReviewHandler {
  readonly #dependencies: ReviewDependencies;

  constructor(dependencies: ReviewDependencies) {
    this.#dependencies = dependencies;
  }

  async create(scope: Scope, body: unknown, context: RequestContext): Promise<Record<string, unknown>> {
    const index = (): RbacIndex => this.#dependencies.rbacIndex();
    switch (scope.info.kind) {
      case 'SelfSubjectAccessReview':
        return selfSubjectAccessReview(body, toRbacUser(context.user), index());
      case 'SubjectAccessReview':
        return subjectAccessReview(body, index());
      case 'LocalSubjectAccessReview':
        return localSubjectAccessReview(body, scope.namespace ?? '', index());
      case 'SelfSubjectRulesReview':
        return selfSubjectRulesReview(body, toRbacUser(context.user), index());
      case 'SelfSubjectReview':
        return this.#selfSubjectReview(context);
      case 'TokenReview':
        return this.#tokenReview(body, context);
      default:
        throw methodNotAllowed();
    }
  }

  #selfSubjectReview(context: RequestContext): Record<string, unknown> {
    return {
      kind: 'SelfSubjectReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: kubeTimestamp(context.now) },
      status: { userInfo: userInfoJson(context.user) },
    };
  }

  async #tokenReview(body: unknown, context: RequestContext): Promise<Record<string, unknown>> {
    const spec = isPlainObject(body) && isPlainObject(body['spec']) ? body['spec'] : {};
    const token = typeof spec['token'] === 'string' ? spec['token'] : '';
    const user = token ? await this.#dependencies.authenticateToken(token) : undefined;
    const status = user
      ? { authenticated: true, user: userInfoJson(user) }
      : { authenticated: false, error: '[invalid bearer token, token lookup failed]' };
    return {
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: kubeTimestamp(context.now) },
      // The token itself is not echoed back: responses end up in audit logs.
      spec: Array.isArray(spec['audiences']) ? { audiences: spec['audiences'] } : {},
      status,
    };
  }
}

function toRbacUser(user: UserInfo): { username: string; uid?: string | undefined; groups: string[] } {
  return { username: user.username, uid: user.uid, groups: [...user.groups] };
}

function userInfoJson(user: UserInfo): Record<string, unknown> {
  return {
    username: user.username,
    ...(user.uid ? { uid: user.uid } : {}),
    groups: [...user.groups],
    ...(user.extra && Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}),
  };
}
