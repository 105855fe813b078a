/**
 * PolicyRule semantics, as kube defines them:
 *
 * - matching one request (rbac/v1 evaluation_helpers.go: VerbMatches, APIGroupMatches, ResourceMatches,
 *   ResourceNameMatches, NonResourceURLMatches; rbac.go RuleAllows);
 * - one rule set covering another (component-helpers policy_comparator.go: BreakdownRule, Covers), which escalation
 *   prevention uses;
 * - the compact forms kube prints (registry CompactRules, rbacv1helpers.CompactString).
 *
 * Pure; no I/O.
 */
import { goQuote } from '../apiserver/field-errors.ts';
import type { PolicyRule } from './types.ts';

/** A rule with every list present (possibly empty): what the matchers work on. */
export interface NormalRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

const ALL = '*';

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** Reads a rule from any JSON value; missing or malformed lists are empty (as Go decodes them). */
export function normalRule(value: unknown): NormalRule {
  const rule = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    verbs: strings(rule['verbs']),
    apiGroups: strings(rule['apiGroups']),
    resources: strings(rule['resources']),
    resourceNames: strings(rule['resourceNames']),
    nonResourceURLs: strings(rule['nonResourceURLs']),
  };
}

/** The rule as kube serializes it: verbs always, the other lists only when not empty, in Go field order. */
export function policyRule(rule: NormalRule): PolicyRule {
  const out: PolicyRule = { verbs: [...rule.verbs] };
  if (rule.apiGroups.length > 0) out.apiGroups = [...rule.apiGroups];
  if (rule.resources.length > 0) out.resources = [...rule.resources];
  if (rule.resourceNames.length > 0) out.resourceNames = [...rule.resourceNames];
  if (rule.nonResourceURLs.length > 0) out.nonResourceURLs = [...rule.nonResourceURLs];
  return out;
}

// ---------- matching one request ----------

export function verbMatches(rule: NormalRule, verb: string): boolean {
  return rule.verbs.some((ruleVerb) => ruleVerb === ALL || ruleVerb === verb);
}

export function apiGroupMatches(rule: NormalRule, group: string): boolean {
  return rule.apiGroups.some((ruleGroup) => ruleGroup === ALL || ruleGroup === group);
}

/**
 * `*` matches everything, `resource/subresource` matches exactly, and `*\/subresource` matches that subresource of
 * any resource. Nothing else is a wildcard: `pods` does not cover `pods/log`, and `pods/*` matches only a
 * subresource literally named `*`.
 */
export function resourceMatches(rule: NormalRule, combinedResource: string, subresource: string): boolean {
  return rule.resources.some((ruleResource) => {
    if (ruleResource === ALL || ruleResource === combinedResource) return true;
    if (subresource === '') return false;
    return (
      ruleResource.length === subresource.length + 2 &&
      ruleResource.startsWith('*/') &&
      ruleResource.endsWith(subresource)
    );
  });
}

/** An empty resourceNames list matches any name, the empty name included; otherwise the name must be listed. */
export function resourceNameMatches(rule: NormalRule, name: string): boolean {
  return rule.resourceNames.length === 0 || rule.resourceNames.includes(name);
}

/** `*`, an exact path, or a prefix when the rule's URL ends in `*` (every trailing `*` is dropped for the prefix). */
export function nonResourceURLMatches(rule: NormalRule, path: string): boolean {
  return rule.nonResourceURLs.some((ruleURL) => urlCovers(ruleURL, path));
}

function urlCovers(ruleURL: string, path: string): boolean {
  if (ruleURL === ALL || ruleURL === path) return true;
  return ruleURL.endsWith('*') && path.startsWith(ruleURL.replace(/\*+$/, ''));
}

/** What a resource request asks, with the name already resolved (see evaluator.ts `requestName`). */
export interface ResourceAsk {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  name: string;
}

export function ruleAllowsResource(rule: NormalRule, ask: ResourceAsk): boolean {
  const combined = ask.subresource === '' ? ask.resource : `${ask.resource}/${ask.subresource}`;
  return (
    verbMatches(rule, ask.verb) &&
    apiGroupMatches(rule, ask.apiGroup) &&
    resourceMatches(rule, combined, ask.subresource) &&
    resourceNameMatches(rule, ask.name)
  );
}

export function ruleAllowsNonResource(rule: NormalRule, verb: string, path: string): boolean {
  return verbMatches(rule, verb) && nonResourceURLMatches(rule, path);
}

// ---------- covering (escalation prevention) ----------

/** Rules with at most one group, resource, verb and name each; URLs split by verb (kube's BreakdownRule). */
export function breakdownRule(rule: NormalRule): NormalRule[] {
  const pieces: NormalRule[] = [];
  for (const group of rule.apiGroups) {
    for (const resource of rule.resources) {
      for (const verb of rule.verbs) {
        const names = rule.resourceNames.length > 0 ? rule.resourceNames.map((name) => [name]) : [[]];
        for (const resourceNames of names) {
          pieces.push({
            verbs: [verb],
            apiGroups: [group],
            resources: [resource],
            resourceNames,
            nonResourceURLs: [],
          });
        }
      }
    }
  }
  for (const url of rule.nonResourceURLs) {
    for (const verb of rule.verbs) {
      pieces.push({ verbs: [verb], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [url] });
    }
  }
  return pieces;
}

function hasAll(set: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((item) => set.includes(item));
}

function resourcesCoverAll(owned: readonly string[], wanted: readonly string[]): boolean {
  if (owned.includes(ALL) || hasAll(owned, wanted)) return true;
  return wanted.every((path) => {
    if (owned.includes(path)) return true;
    const slash = path.indexOf('/');
    if (slash < 0) return false;
    return owned.includes(`*/${path.slice(slash + 1)}`);
  });
}

/** Whether one owner rule covers a broken-down piece (kube's ruleCovers). */
export function ruleCovers(owner: NormalRule, piece: NormalRule): boolean {
  const verbs = owner.verbs.includes(ALL) || hasAll(owner.verbs, piece.verbs);
  const groups = owner.apiGroups.includes(ALL) || hasAll(owner.apiGroups, piece.apiGroups);
  const resources = resourcesCoverAll(owner.resources, piece.resources);
  const urls = piece.nonResourceURLs.every((url) => owner.nonResourceURLs.some((own) => urlCovers(own, url)));
  const names =
    piece.resourceNames.length === 0
      ? owner.resourceNames.length === 0
      : owner.resourceNames.length === 0 || hasAll(owner.resourceNames, piece.resourceNames);
  return verbs && groups && resources && names && urls;
}

/** Whether `owned` covers every rule in `wanted`, and the broken-down pieces it does not cover (kube's Covers). */
export function covers(
  owned: readonly NormalRule[],
  wanted: readonly NormalRule[],
): { covered: boolean; missing: NormalRule[] } {
  const missing = wanted
    .flatMap(breakdownRule)
    .filter((piece) => !owned.some((owner) => ruleCovers(owner, piece)));
  return { covered: missing.length === 0, missing };
}

/** One group, one resource, at most one name, verbs only: rules kube merges when compacting. */
function simpleKey(rule: NormalRule): string | undefined {
  if (rule.resourceNames.length > 1 || rule.nonResourceURLs.length > 0) return undefined;
  if (rule.apiGroups.length !== 1 || rule.resources.length !== 1) return undefined;
  return JSON.stringify([rule.apiGroups[0], rule.resources[0], rule.resourceNames[0] ?? null]);
}

/**
 * Merges simple rules that differ only in verbs (kube's CompactRules). `dedupeVerbs` is kubectl's variant; the API
 * server's (escalation messages) appends verbs as they come. Merged rules follow the others, in first-seen order
 * (kube iterates a Go map here; every caller sorts the result).
 */
export function compactRules(rules: readonly NormalRule[], dedupeVerbs = false): NormalRule[] {
  const compacted: NormalRule[] = [];
  const simple = new Map<string, NormalRule>();
  for (const rule of rules) {
    const key = simpleKey(rule);
    if (key === undefined) {
      compacted.push(rule);
      continue;
    }
    const existing = simple.get(key);
    if (!existing) {
      simple.set(key, { ...rule, verbs: [...rule.verbs] });
      continue;
    }
    for (const verb of rule.verbs) {
      if (!dedupeVerbs || !existing.verbs.includes(verb)) existing.verbs.push(verb);
    }
  }
  return [...compacted, ...simple.values()];
}

// ---------- Go's printing of rules ----------

/** Go's %q of a []string: `["a" "b"]`. */
export function goQuotedList(values: readonly string[]): string {
  return `[${values.map(goQuote).join(' ')}]`;
}

/** Go's %v of a []string: `[a b]`. */
export function goList(values: readonly string[]): string {
  return `[${values.join(' ')}]`;
}

/** rbacv1helpers.CompactString: `{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`, empty lists left out. */
export function compactString(rule: NormalRule): string {
  const parts: string[] = [];
  if (rule.apiGroups.length > 0) parts.push(`APIGroups:${goQuotedList(rule.apiGroups)}`);
  if (rule.resources.length > 0) parts.push(`Resources:${goQuotedList(rule.resources)}`);
  if (rule.nonResourceURLs.length > 0) parts.push(`NonResourceURLs:${goQuotedList(rule.nonResourceURLs)}`);
  if (rule.resourceNames.length > 0) parts.push(`ResourceNames:${goQuotedList(rule.resourceNames)}`);
  if (rule.verbs.length > 0) parts.push(`Verbs:${goQuotedList(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** The generated PolicyRule.String() kubectl sorts `can-i --list` rows by. */
export function goRuleString(rule: NormalRule): string {
  return (
    `&PolicyRule{Verbs:${goList(rule.verbs)},APIGroups:${goList(rule.apiGroups)},` +
    `Resources:${goList(rule.resources)},ResourceNames:${goList(rule.resourceNames)},` +
    `NonResourceURLs:${goList(rule.nonResourceURLs)},}`
  );
}
