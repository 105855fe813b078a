/**
 * `audit.k8s.io/v1` Event objects as kube-apiserver 1.32 writes them: pure functions from the facts of one request
 * (who, what, when, how it ended) and the policy's decision for it (level, omitted stages, managed fields) to the
 * event of one stage, with Go's field order and omitempty rules, MicroTime timestamps, and the JSON line the log
 * backend writes.
 *
 * Bodies follow the level: `Metadata` events carry no request or response object at all (a Secret's data never
 * reaches a Metadata event), `Request` adds the request object, `RequestResponse` the response object too, and
 * non-resource requests never log bodies. Pure; no I/O.
 */
import type { Level, RequestAuditConfig, Stage } from './policy.ts';
import { levelAtLeast } from './policy.ts';
import { compareGoStrings } from '../apiserver/field-errors.ts';

export const AUDIT_ID_HEADER = 'Audit-ID';
export const DECISION_ANNOTATION = 'authorization.k8s.io/decision';
export const REASON_ANNOTATION = 'authorization.k8s.io/reason';

/** A point in time: a Date, or epoch milliseconds (fractions carry microseconds, e.g. performance.timeOrigin + now()). */
export type AuditTime = Date | number;

/** authentication/v1 UserInfo as the request's authenticator produced it. */
export interface AuditUserInput {
  username?: string | undefined;
  uid?: string | undefined;
  groups?: readonly string[] | undefined;
  extra?: Readonly<Record<string, readonly string[]>> | undefined;
}

export interface AuditUserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AuditObjectReference {
  resource?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiGroup?: string;
  apiVersion?: string;
  resourceVersion?: string;
  subresource?: string;
}

/** metav1.Status as an event holds it: `metadata: {}` always, then the bounded fields, then the code. */
export interface AuditResponseStatus {
  metadata: Record<string, never>;
  status?: string;
  message?: string;
  reason?: string;
  details?: unknown;
  code: number;
}

export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: Level;
  auditID: string;
  stage: Stage;
  requestURI: string;
  verb: string;
  user: AuditUserInfo;
  impersonatedUser?: AuditUserInfo;
  sourceIPs?: string[];
  userAgent?: string;
  objectRef?: AuditObjectReference;
  responseStatus?: AuditResponseStatus;
  requestObject?: unknown;
  responseObject?: unknown;
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/** What is known when the request arrives (the RequestReceived event is made from this alone). */
export interface AuditRequestFacts {
  /** The request's Audit-ID header when the client sent one, else a new UUID; returned in the Audit-ID header. */
  auditID: string;
  /** Path and query as the client sent them. */
  requestURI: string;
  /** kubeVerb(): the Kubernetes verb, or the lower-cased HTTP method of a non-resource request. */
  verb: string;
  /** The authenticated user (the impersonator, when impersonating). */
  user: AuditUserInput;
  /** The user being impersonated, if any. */
  impersonatedUser?: AuditUserInput | undefined;
  sourceIPs?: readonly string[] | undefined;
  userAgent?: string | undefined;
  /** objectReference() for resource requests; undefined for non-resource requests (which then log no bodies). */
  objectRef?: AuditObjectReference | undefined;
  requestReceivedTimestamp: AuditTime;
}

/** What is known later: the outcome and the bodies. Ignored for the RequestReceived stage. */
export interface AuditOutcome {
  /** responseStatus() of the response (or panicResponseStatus()). */
  responseStatus?: AuditResponseStatus | undefined;
  /** The decoded request body (create, update; DeleteOptions for delete). Logged at Request and above. */
  requestObject?: unknown;
  /** A patch body, logged verbatim instead of requestObject (kube's LogRequestPatch); managed fields stay. */
  requestPatch?: unknown;
  /** The object returned (not for watches). Logged at RequestResponse only. */
  responseObject?: unknown;
  /** Annotations from authorization and admission (authorizationAnnotations()). */
  annotations?: Readonly<Record<string, string>> | undefined;
}

export interface AuditEventInput {
  /** levelFor(policy, attributes). */
  config: Pick<RequestAuditConfig, 'level' | 'omitStages' | 'omitManagedFields'>;
  stage: Stage;
  request: AuditRequestFacts;
  outcome?: AuditOutcome | undefined;
  stageTimestamp: AuditTime;
}

/**
 * The event for one stage of a request, or undefined when the policy records nothing for it (level None, or the
 * stage omitted). The result shares body objects with the input unless managed fields were removed; serialize it
 * (eventLine) before changing them.
 */
export function auditEvent(input: AuditEventInput): AuditEvent | undefined {
  const { config, stage, request } = input;
  const level = config.level;
  if (level === 'None' || config.omitStages.includes(stage)) return undefined;
  const outcome: AuditOutcome = stage === 'RequestReceived' ? {} : (input.outcome ?? {});
  const resourceRequest = request.objectRef !== undefined;

  let objectRef = request.objectRef ? objectRefCopy(request.objectRef) : undefined;
  if (objectRef && outcome.requestObject !== undefined && outcome.requestPatch === undefined) {
    objectRef = completeObjectRef(objectRef, outcome.requestObject);
  }

  // Go's struct order; optional fields are added in that order, so JSON.stringify keeps it.
  const event: AuditEvent = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level,
    auditID: request.auditID,
    stage,
    requestURI: request.requestURI,
    verb: request.verb,
    user: userInfo(request.user),
  } as AuditEvent;
  if (request.impersonatedUser) event.impersonatedUser = userInfo(request.impersonatedUser);
  if (request.sourceIPs && request.sourceIPs.length > 0) event.sourceIPs = [...request.sourceIPs];
  if (request.userAgent) event.userAgent = request.userAgent;
  if (objectRef) event.objectRef = objectRef;
  if (outcome.responseStatus) event.responseStatus = orderedStatus(outcome.responseStatus);
  if (resourceRequest && levelAtLeast(level, 'Request')) {
    if (outcome.requestPatch !== undefined) event.requestObject = outcome.requestPatch;
    else if (outcome.requestObject !== undefined) {
      event.requestObject = config.omitManagedFields
        ? withoutManagedFields(outcome.requestObject)
        : outcome.requestObject;
    }
  }
  if (resourceRequest && levelAtLeast(level, 'RequestResponse') && outcome.responseObject !== undefined) {
    event.responseObject = config.omitManagedFields
      ? withoutManagedFields(outcome.responseObject)
      : outcome.responseObject;
  }
  event.requestReceivedTimestamp = formatMicroTime(request.requestReceivedTimestamp);
  event.stageTimestamp = formatMicroTime(input.stageTimestamp);
  const annotations = sortedRecord(outcome.annotations);
  if (annotations) event.annotations = annotations;
  return event;
}

/** One line of the JSON log backend: compact JSON with Go's HTML escaping, then a newline. */
export function eventLine(event: AuditEvent): string {
  return `${JSON.stringify(event).replace(/[<>&\u2028\u2029]/g, goEscape)}\n`;
}

function goEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

// ---------- pieces the server fills in ----------

/**
 * The request's verb as kube's RequestInfo names it. Resource requests: POST create, GET/HEAD get (list without a
 * name, watch without a name and `watch=true`), PUT update, PATCH patch, DELETE delete (deletecollection without a
 * name). Non-resource requests: the lower-cased method.
 */
export function kubeVerb(
  method: string,
  request: { resourceRequest: boolean; name?: string | undefined; watch?: boolean | undefined },
): string {
  const lower = method.toLowerCase();
  if (!request.resourceRequest) return lower;
  const named = (request.name ?? '') !== '';
  switch (lower) {
    case 'post':
      return 'create';
    case 'get':
    case 'head':
      if (named) return 'get';
      return request.watch ? 'watch' : 'list';
    case 'put':
      return 'update';
    case 'patch':
      return 'patch';
    case 'delete':
      return named ? 'delete' : 'deletecollection';
    default:
      return lower;
  }
}

/** The objectRef of a resource request, from its URL (namespace undefined or "" for cluster-scoped). */
export function objectReference(target: {
  group: string;
  version: string;
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
  subresource?: string | undefined;
}): AuditObjectReference {
  return objectRefCopy({
    resource: target.resource,
    namespace: target.namespace ?? '',
    name: target.name ?? '',
    apiGroup: target.group,
    apiVersion: target.version,
    subresource: target.subresource ?? '',
  });
}

/**
 * The responseStatus of a response with HTTP `code`: when the body is a Status, its status, message, reason and
 * details are copied (LogResponseObject); the code is always the one written.
 */
export function responseStatus(code: number, body?: unknown): AuditResponseStatus {
  if (!isRecord(body) || body['kind'] !== 'Status') return { metadata: {}, code };
  const status: AuditResponseStatus = { metadata: {}, code };
  for (const field of ['status', 'message', 'reason'] as const) {
    const value = body[field];
    if (typeof value === 'string' && value !== '') status[field] = value;
  }
  if (body['details'] !== undefined && body['details'] !== null) status.details = body['details'];
  return orderedStatus(status);
}

/** The responseStatus kube records for the Panic stage. `detail` must not hold request data. */
export function panicResponseStatus(detail: string): AuditResponseStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `APIServer panic'd: ${detail}`,
    reason: 'InternalError',
    code: 500,
  };
}

/** The annotations the authorizer adds: decision `allow` or `forbid`, and its reason. */
export function authorizationAnnotations(
  decision: 'allow' | 'forbid',
  reason: string,
): Record<string, string> {
  return { [DECISION_ANNOTATION]: decision, [REASON_ANNOTATION]: reason };
}

/** metav1.MicroTime as JSON: UTC, RFC 3339 with exactly six fractional digits (`2024-05-01T10:00:00.123456Z`). */
export function formatMicroTime(time: AuditTime): string {
  const ms = typeof time === 'number' ? time : time.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('invalid audit timestamp');
  const micros = Math.round(ms * 1000);
  const wholeMs = Math.floor(micros / 1000);
  const extraMicros = micros - wholeMs * 1000;
  const iso = new Date(wholeMs).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, -1)}${String(extraMicros).padStart(3, '0')}Z`;
}

/**
 * A copy without managed fields: the object's own, each item's of a list, and each row object's of a Table
 * (copyWithoutManagedFields). Anything else is returned as it is.
 */
export function withoutManagedFields(value: unknown): unknown {
  if (!isRecord(value)) return value;
  let result: Record<string, unknown> = value;
  const metadata = value['metadata'];
  if (isRecord(metadata) && 'managedFields' in metadata) {
    const { managedFields: _dropped, ...rest } = metadata;
    result = { ...result, metadata: rest };
  }
  const items = value['items'];
  if (Array.isArray(items)) result = { ...result, items: items.map(withoutManagedFields) };
  const rows = value['rows'];
  if (value['kind'] === 'Table' && Array.isArray(rows)) {
    result = {
      ...result,
      rows: rows.map((row: unknown) =>
        isRecord(row) && isRecord(row['object'])
          ? { ...row, object: withoutManagedFields(row['object']) }
          : row,
      ),
    };
  }
  return result;
}

// ---------- helpers ----------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function userInfo(user: AuditUserInput): AuditUserInfo {
  const info: AuditUserInfo = {};
  if (user.username) info.username = user.username;
  if (user.uid) info.uid = user.uid;
  if (user.groups && user.groups.length > 0) info.groups = [...user.groups];
  if (user.extra) {
    const keys = Object.keys(user.extra).sort(compareGoStrings);
    if (keys.length > 0)
      info.extra = Object.fromEntries(keys.map((key) => [key, [...(user.extra?.[key] ?? [])]]));
  }
  return info;
}

const OBJECT_REF_FIELDS = [
  'resource',
  'namespace',
  'name',
  'uid',
  'apiGroup',
  'apiVersion',
  'resourceVersion',
  'subresource',
] as const;

/** Go's field order, empty strings left out (omitempty). */
function objectRefCopy(ref: Readonly<AuditObjectReference>): AuditObjectReference {
  const copy: AuditObjectReference = {};
  for (const field of OBJECT_REF_FIELDS) {
    const value = ref[field];
    if (value) copy[field] = value;
  }
  return copy;
}

/** LogRequestObject fills namespace, name, uid and resourceVersion the URL did not give from the body's metadata. */
function completeObjectRef(ref: AuditObjectReference, body: unknown): AuditObjectReference {
  if (!isRecord(body) || !isRecord(body['metadata'])) return ref;
  const metadata = body['metadata'];
  const filled: AuditObjectReference = { ...ref };
  for (const field of ['namespace', 'name', 'uid', 'resourceVersion'] as const) {
    const value = metadata[field];
    if (!filled[field] && typeof value === 'string' && value !== '') filled[field] = value;
  }
  return objectRefCopy(filled);
}

function orderedStatus(status: AuditResponseStatus): AuditResponseStatus {
  const ordered: AuditResponseStatus = { metadata: {} } as AuditResponseStatus;
  if (status.status) ordered.status = status.status;
  if (status.message) ordered.message = status.message;
  if (status.reason) ordered.reason = status.reason;
  if (status.details !== undefined && status.details !== null) ordered.details = status.details;
  ordered.code = status.code;
  return ordered;
}

/** Go marshals maps with sorted keys; empty maps are omitted. */
function sortedRecord(
  record: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  if (!record) return undefined;
  const keys = Object.keys(record).sort(compareGoStrings);
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((key) => [key, record[key] ?? '']));
}
