/**
 * The RBAC authorizer of the local control plane: the evaluator in src/rbac/ over the live Roles, ClusterRoles
 * and bindings, kept current by their informers (the index is rebuilt lazily after a change), plus the
 * escalation check kube's RBAC registry applies to writes of those four kinds.
 */
import { checkEscalation, type RbacResource } from '../../rbac/escalation.ts';
import { authorize, buildRbacIndex, type Decision, type RbacIndex } from '../../rbac/evaluator.ts';
import type { RequestAttributes } from '../../rbac/types.ts';
import type { RequestContext, Scope } from '../objects/context.ts';
import type { KubeObject } from '../objects/object.ts';
import { ApiError } from '../status.ts';
import type { Informer } from './runtime.ts';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_RESOURCES: ReadonlySet<string> = new Set([
  'roles',
  'clusterroles',
  'rolebindings',
  'clusterrolebindings',
]);

export interface RbacInformers {
  roles: Informer;
  clusterRoles: Informer;
  roleBindings: Informer;
  clusterRoleBindings: Informer;
}

export class RbacAuthorizer {
  readonly #informers: RbacInformers;
  #index: RbacIndex | undefined;

  constructor(informers: RbacInformers) {
    this.#informers = informers;
    const changed = (): void => {
      this.#index = undefined;
    };
    const { roles, clusterRoles, roleBindings, clusterRoleBindings } = informers;
    for (const informer of [roles, clusterRoles, roleBindings, clusterRoleBindings])
      informer.on({ added: changed, updated: changed, deleted: changed });
  }

  get index(): RbacIndex {
    this.#index ??= buildRbacIndex({
      roles: this.#informers.roles.list(),
      clusterRoles: this.#informers.clusterRoles.list(),
      roleBindings: this.#informers.roleBindings.list(),
      clusterRoleBindings: this.#informers.clusterRoleBindings.list(),
    });
    return this.#index;
  }

  authorize(attributes: RequestAttributes): Decision {
    return authorize(attributes, this.index);
  }

  /** Refuses (403) a Role or binding write that would grant what the writer does not hold. */
  admitWrite(scope: Scope, object: KubeObject, old: KubeObject | undefined, context: RequestContext): void {
    if (scope.info.group !== RBAC_GROUP || !RBAC_RESOURCES.has(scope.info.plural) || scope.info.crd) return;
    const result = checkEscalation(
      {
        user: { ...context.user, groups: [...context.user.groups] },
        resource: scope.info.plural as RbacResource,
        operation: old ? 'update' : 'create',
        object,
        oldObject: old,
        namespace: scope.namespace ?? '',
      },
      this.index,
    );
    if (!result.allowed) throw new ApiError(result.code, 'Forbidden', result.message, result.details);
  }
}
