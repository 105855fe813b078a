/**
 * ClusterRole aggregation (kube-controller-manager's clusterrole-aggregation controller): a ClusterRole with an
 * aggregationRule gets, in `.rules`, the rules of every other ClusterRole its selectors match, taken in
 * selector order and then by role name, each rule once.
 */
import { jsonEqual, type KubeObject } from '../objects/object.ts';
import type { RestStorage } from '../objects/rest.ts';
import { EVERYTHING, labelSelectorString, parseLabelSelector, type Selector } from '../selectors.ts';
import type { Informer } from './runtime.ts';
import { systemContext, WorkQueue, type Reporter } from './runtime.ts';

const MANAGER = 'clusterrole-aggregation-controller';

export class ClusterRoleAggregator {
  readonly #rest: RestStorage;
  readonly #roles: Informer;
  readonly queue: WorkQueue;

  constructor(rest: RestStorage, roles: Informer, report: Reporter) {
    this.#rest = rest;
    this.#roles = roles;
    this.queue = new WorkQueue('clusterrole-aggregation', (name) => this.#reconcile(name), report);
    const enqueueAggregators = (): void => {
      for (const role of roles.list()) if (role['aggregationRule']) this.queue.add(role.metadata.name ?? '');
    };
    roles.on({ added: enqueueAggregators, updated: enqueueAggregators, deleted: enqueueAggregators });
  }

  async #reconcile(name: string): Promise<void> {
    const role = this.#roles.get(undefined, name);
    if (!role?.['aggregationRule']) return;
    const rules = aggregatedRules(role, this.#roles.list());
    if (jsonEqual(rules, role['rules'] ?? [])) return;
    const patch = JSON.stringify({ rules, metadata: { resourceVersion: role.metadata.resourceVersion } });
    await this.#rest.patch(
      { info: this.#roles.info, namespace: undefined },
      name,
      'merge',
      Buffer.from(patch),
      undefined,
      { dryRun: false, fieldManager: MANAGER, fieldValidation: 'Ignore', force: false },
      systemContext('kube-controller-manager'),
    );
  }
}

/** The rules an aggregating role should have, given every ClusterRole. Pure. */
export function aggregatedRules(role: KubeObject, all: readonly KubeObject[]): unknown[] {
  const rule = role['aggregationRule'] as { clusterRoleSelectors?: unknown[] } | undefined;
  const selectors = (rule?.clusterRoleSelectors ?? []).map(labelSelectorOf);
  const sorted = [...all].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const rules: unknown[] = [];
  for (const selector of selectors) {
    for (const other of sorted) {
      if (other.metadata.name === role.metadata.name || !selector.matches(other.metadata.labels)) continue;
      for (const candidate of (other['rules'] as unknown[] | undefined) ?? []) {
        if (!rules.some((existing) => jsonEqual(existing, candidate))) rules.push(candidate);
      }
    }
  }
  return rules;
}

/** A metav1.LabelSelector as a selector; an empty one matches every role. */
function labelSelectorOf(value: unknown): Selector {
  const text = labelSelectorString(value);
  return text === '' ? EVERYTHING : parseLabelSelector(text);
}
