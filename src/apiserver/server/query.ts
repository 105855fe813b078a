/**
 * The query parameters of API requests, validated as kube-apiserver validates them: write options (dryRun,
 * fieldManager, fieldValidation, force), list options (selectors, paging, resourceVersion), delete options.
 */
import type { FieldValidation, WriteOptions } from '../objects/context.ts';
import type { DeleteOptions } from '../objects/rest.ts';
import type { ListQuery } from '../objects/list.ts';
import { isPlainObject } from '../objects/object.ts';
import { parseFieldSelector, parseLabelSelector } from '../selectors.ts';
import { ApiError, badRequest } from '../status.ts';

export function writeOptions(
  query: URLSearchParams,
  defaultValidation: FieldValidation = 'Warn',
): WriteOptions {
  const dryRun = query.getAll('dryRun');
  for (const value of dryRun) {
    if (value !== 'All') throw invalidOption('dryRun', value, 'supported values: "All"', 'Unsupported value');
  }
  const validation = query.get('fieldValidation') ?? '';
  if (validation !== '' && !['Strict', 'Warn', 'Ignore'].includes(validation)) {
    throw badRequest(`fieldValidation parameter unsupported: ${validation}`);
  }
  const fieldManager = query.get('fieldManager') ?? undefined;
  if (fieldManager !== undefined && (fieldManager.length > 128 || !/^[\x20-\x7e]*$/.test(fieldManager))) {
    throw invalidOption(
      'fieldManager',
      fieldManager,
      'must be at most 128 printable characters',
      'Invalid value',
    );
  }
  return {
    dryRun: dryRun.length > 0,
    fieldManager: fieldManager || undefined,
    fieldValidation: (validation || defaultValidation) as FieldValidation,
    force: booleanParameter(query, 'force'),
  };
}

export function listQuery(
  query: URLSearchParams,
  supportedFields: readonly string[],
): Omit<ListQuery, 'namespace'> {
  const limitText = query.get('limit') ?? '';
  const limit = limitText === '' ? 0 : Number(limitText);
  if (!Number.isSafeInteger(limit) || limit < 0) throw badRequest(`limit: invalid value "${limitText}"`);
  return {
    labels: parseLabelSelector(query.get('labelSelector')),
    fields: parseFieldSelector(query.get('fieldSelector'), supportedFields),
    limit,
    continueToken: query.get('continue') || undefined,
    resourceVersion: query.get('resourceVersion') ?? undefined,
    resourceVersionMatch: query.get('resourceVersionMatch') ?? undefined,
  };
}

/** DeleteOptions from the body (when there is one) overridden by the query string, as kube merges them. */
export function deleteOptions(query: URLSearchParams, body: unknown): DeleteOptions {
  const fromBody = isPlainObject(body) ? body : {};
  const grace = query.get('gracePeriodSeconds') ?? fromBody['gracePeriodSeconds'];
  const propagation = query.get('propagationPolicy') ?? fromBody['propagationPolicy'];
  const orphan = query.get('orphanDependents') ?? fromBody['orphanDependents'];
  const preconditions = isPlainObject(fromBody['preconditions']) ? fromBody['preconditions'] : {};
  const dryRun = [
    ...query.getAll('dryRun'),
    ...(Array.isArray(fromBody['dryRun']) ? (fromBody['dryRun'] as unknown[]) : []),
  ];
  for (const value of dryRun)
    if (value !== 'All')
      throw invalidOption('dryRun', text(value), 'supported values: "All"', 'Unsupported value');
  const gracePeriodSeconds = grace === undefined || grace === null ? undefined : Number(grace);
  if (gracePeriodSeconds !== undefined && !Number.isSafeInteger(gracePeriodSeconds))
    throw badRequest(`gracePeriodSeconds: invalid value "${text(grace)}"`);
  if (
    propagation !== undefined &&
    propagation !== null &&
    !['Orphan', 'Background', 'Foreground'].includes(text(propagation))
  ) {
    throw invalidDelete(
      'propagationPolicy',
      text(propagation),
      'supported values: "Foreground", "Background", "Orphan"',
    );
  }
  const orphanDependents = orphan === undefined || orphan === null ? undefined : text(orphan) === 'true';
  if (orphanDependents !== undefined && propagation) {
    throw invalidDelete(
      'propagationPolicy',
      text(propagation),
      'orphanDependents and deletionPropagation cannot be both set',
    );
  }
  const policy = (propagation ??
    (orphanDependents === undefined
      ? undefined
      : orphanDependents
        ? 'Orphan'
        : 'Background')) as DeleteOptions['propagationPolicy'];
  return {
    gracePeriodSeconds,
    propagationPolicy: policy ?? undefined,
    preconditions: {
      uid: typeof preconditions['uid'] === 'string' ? preconditions['uid'] : undefined,
      resourceVersion:
        typeof preconditions['resourceVersion'] === 'string' ? preconditions['resourceVersion'] : undefined,
    },
    dryRun: dryRun.length > 0,
  };
}

/** A query or body value as text for comparisons and messages. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function booleanParameter(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value === 'true' || value === '1';
}

function invalidOption(field: string, value: string, message: string, kind: string): ApiError {
  const text = `${kind}: "${value}": ${message}`;
  return new ApiError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${field}: ${text}`, {
    group: 'meta.k8s.io',
    causes: [{ reason: 'FieldValueNotSupported', message: text, field }],
  });
}

function invalidDelete(field: string, value: string, message: string): ApiError {
  const text = `Unsupported value: "${value}": ${message}`;
  return new ApiError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: ${field}: ${text}`, {
    group: 'meta.k8s.io',
    kind: 'DeleteOptions',
    causes: [{ reason: 'FieldValueNotSupported', message: text, field }],
  });
}
