/**
 * Label selectors (`a=b,c!=d,e in (x,y),f notin (z),g,!h`, `==` too) and field selectors
 * (`metadata.name=x,metadata.namespace!=y`), parsed and matched as kube-apiserver does. Pure.
 */
import { badRequest } from './status.ts';

type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'doesnotexist' }
  | { key: string; op: '=' | '!='; value: string };

export interface Selector {
  matches(labels: Record<string, string> | undefined): boolean;
  readonly empty: boolean;
}

export const EVERYTHING: Selector = { matches: () => true, empty: true };

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function parseLabelSelector(text: string | null | undefined): Selector {
  if (!text || text.trim() === '') return EVERYTHING;
  const requirements = splitTopLevel(text).map(parseRequirement);
  return {
    empty: false,
    matches: (labels) => requirements.every((requirement) => matchRequirement(requirement, labels ?? {})),
  };
}

/** Splits at commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += char;
  }
  parts.push(current.trim());
  return parts.filter((part) => part !== '');
}

function parseRequirement(text: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (set) {
    const key = checkKey(set[1] ?? '', text);
    const values = (set[3] ?? '').split(',').map((value) => checkValue(value.trim(), text));
    return { key, op: set[2] as 'in' | 'notin', values };
  }
  const equality = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(text);
  if (equality) {
    const key = checkKey(equality[1] ?? '', text);
    return { key, op: equality[2] === '!=' ? '!=' : '=', value: checkValue(equality[3] ?? '', text) };
  }
  if (text.startsWith('!')) return { key: checkKey(text.slice(1).trim(), text), op: 'doesnotexist' };
  return { key: checkKey(text, text), op: 'exists' };
}

function checkKey(key: string, requirement: string): string {
  if (!KEY.test(key) || key.length > 316)
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${requirement}"`);
  return key;
}

function checkValue(value: string, requirement: string): string {
  if (!VALUE.test(value) || value.length > 63)
    throw badRequest(`unable to parse requirement: invalid label value: "${value}" in "${requirement}"`);
  return value;
}

function matchRequirement(requirement: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = labels[requirement.key];
  switch (requirement.op) {
    case 'exists':
      return has;
    case 'doesnotexist':
      return !has;
    case '=':
      return has && value === requirement.value;
    case '!=':
      return !has || value !== requirement.value;
    case 'in':
      return has && requirement.values.includes(value ?? '');
    case 'notin':
      return !has || !requirement.values.includes(value ?? '');
  }
}

export interface FieldSelector {
  matches(fields: Record<string, string>): boolean;
  /** The name, when the selector pins exactly one (`metadata.name=x`): a watch or list of one object. */
  readonly name: string | undefined;
  readonly empty: boolean;
}

export const EVERY_FIELD: FieldSelector = { matches: () => true, name: undefined, empty: true };

/** `supported` lists the field labels the resource allows (always metadata.name and metadata.namespace). */
export function parseFieldSelector(
  text: string | null | undefined,
  supported: readonly string[],
): FieldSelector {
  if (!text || text.trim() === '') return EVERY_FIELD;
  const terms = text.split(',').map((term) => {
    const match = /^([^!=]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!match) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, field = '', op = '=', value = ''] = match;
    if (!supported.includes(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, negate: op === '!=', value };
  });
  const name = terms.find((term) => term.field === 'metadata.name' && !term.negate)?.value;
  return {
    empty: false,
    name,
    matches: (fields) => terms.every((term) => (fields[term.field] === term.value) !== term.negate),
  };
}

interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * A metav1.LabelSelector (matchLabels + matchExpressions) in its string form, requirements sorted by key as
 * apimachinery prints them (`app=web,tier in (a,b)`); `{}` is the empty string, which selects everything.
 */
export function labelSelectorString(value: unknown): string {
  const selector = (typeof value === 'object' && value !== null ? value : {}) as LabelSelectorObject;
  const terms: [string, string][] = [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, labelValue]): [string, string] => [
      key,
      `${key}=${labelValue}`,
    ]),
    ...(selector.matchExpressions ?? []).map((expression): [string, string] => {
      const values = [...(expression.values ?? [])].sort().join(',');
      switch (expression.operator) {
        case 'In':
          return [expression.key, `${expression.key} in (${values})`];
        case 'NotIn':
          return [expression.key, `${expression.key} notin (${values})`];
        case 'Exists':
          return [expression.key, expression.key];
        default:
          return [expression.key, `!${expression.key}`];
      }
    }),
  ];
  return terms
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, term]) => term)
    .join(',');
}
