/**
 * API errors as kube-apiserver reports them: a `Status` object with the HTTP code, the reason, and the message
 * its error constructors write (apimachinery/pkg/api/errors). `details.kind` holds the resource (plural).
 */
export interface StatusDetails {
  name?: string | undefined;
  group?: string | undefined;
  kind?: string | undefined;
  causes?: { reason?: string; message: string; field?: string }[] | undefined;
  retryAfterSeconds?: number | undefined;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Record<string, unknown> {
    const status: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
    };
    // kube leaves the reason out of Status objects made from plain errors (Go's omitempty).
    if (this.reason) status['reason'] = this.reason;
    if (this.details) status['details'] = compact(this.details);
    status['code'] = this.code;
    return status;
  }
}

function compact(details: StatusDetails): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(details).filter(([, value]) => value !== undefined && value !== ''),
  );
}

/** A resource by group and plural name (a ResourceInfo is one). */
export interface ResourceRef {
  group: string;
  plural: string;
}

/** `secrets` or `deployments.apps`, as kube names a resource in messages. */
export function qualifiedResource(ref: ResourceRef): string {
  return ref.group ? `${ref.plural}.${ref.group}` : ref.plural;
}

export function notFound(ref: ResourceRef, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(ref)} "${name}" not found`, {
    name,
    group: ref.group,
    kind: ref.plural,
  });
}

export function alreadyExists(ref: ResourceRef, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(ref)} "${name}" already exists`, {
    name,
    group: ref.group,
    kind: ref.plural,
  });
}

export function conflict(ref: ResourceRef, name: string, detail: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${name}": ${detail}`,
    {
      name,
      group: ref.group,
      kind: ref.plural,
    },
  );
}

export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

export function invalid(
  kind: string,
  group: string,
  name: string,
  causes: { field: string; message: string; reason?: string }[],
): ApiError {
  const summary = causes.map((cause) => `${cause.field}: ${cause.message}`).join(', ');
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new ApiError(
    422,
    'Invalid',
    `${qualifiedKind} "${name}" is invalid: ${causes.length > 1 ? `[${summary}]` : summary}`,
    {
      name,
      group,
      kind,
      causes: causes.map((cause) => ({
        reason: cause.reason ?? 'FieldValueInvalid',
        message: cause.message,
        field: cause.field,
      })),
    },
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(
  message = 'the server does not allow this method on the requested resource',
): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json; got ${contentType}`,
  );
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}

export function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

/** A Status object for a successful DELETE of an object that is gone at once (kube returns the object otherwise). */
export function successStatus(ref: ResourceRef, name: string, uid?: string): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, group: ref.group || undefined, kind: ref.plural, uid },
  };
}

/** 403 for an admission or authorization refusal: `secrets "x" is forbidden: <why>`. */
export function forbidden(ref: ResourceRef, name: string, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `${qualifiedResource(ref)} "${name}" is forbidden: ${why}`, {
    name,
    group: ref.group,
    kind: ref.plural,
  });
}
