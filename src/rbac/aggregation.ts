/**
 * ClusterRole aggregation computed all at once, for places without the control loop (offline checks, tests): every
 * ClusterRole with an aggregationRule gets the rules the aggregation controller would write, repeated until nothing
 * changes (admin aggregates edit, which aggregates view). One round is the controller's own `aggregatedRules`.
 * Pure.
 */
import { aggregatedRules } from '../apiserver/controllers/clusterrole-aggregation.ts';
import { jsonEqual, type KubeObject } from '../apiserver/objects/object.ts';

function hasAggregationRule(role: object): boolean {
  const rule = (role as Record<string, unknown>)['aggregationRule'];
  return typeof rule === 'object' && rule !== null;
}

function hasMetadata(role: object): boolean {
  const metadata = (role as Record<string, unknown>)['metadata'];
  return typeof metadata === 'object' && metadata !== null;
}

/** The ClusterRoles with aggregated rules filled in; the others as given. The input is not modified. */
export function aggregateClusterRoles<T extends object>(clusterRoles: readonly T[]): T[] {
  let roles = clusterRoles.map((role) => ({ ...role }));
  // Each round settles at least one more level of nesting; more rounds than roles means a cycle, which the
  // controller would chase forever: stop there.
  for (let round = 0; round <= roles.length; round++) {
    let changed = false;
    const current = roles.filter(hasMetadata) as unknown as KubeObject[];
    roles = roles.map((role) => {
      if (!hasAggregationRule(role) || !hasMetadata(role)) return role;
      const rules = aggregatedRules(role as unknown as KubeObject, current);
      const existing = (role as Record<string, unknown>)['rules'] ?? [];
      if (jsonEqual(rules, existing)) return role;
      changed = true;
      return { ...role, rules };
    });
    if (!changed) break;
  }
  return roles;
}
