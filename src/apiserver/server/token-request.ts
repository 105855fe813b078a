/**
 * The ServiceAccount `token` subresource (TokenRequest, authentication.k8s.io/v1): what `kubectl create token`
 * calls. Tokens default to one hour, may not be shorter than ten minutes, and name the API server's own
 * audience unless the request lists others.
 */
import type { RequestContext, Scope } from '../objects/context.ts';
import { isPlainObject, kubeTimestamp } from '../objects/object.ts';
import type { RestStorage } from '../objects/rest.ts';
import { invalid } from '../status.ts';
import type { TokenAuthority } from './tokens.ts';

const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

export class TokenRequestHandler {
  readonly #rest: RestStorage;
  readonly #authority: TokenAuthority;

  constructor(rest: RestStorage, authority: TokenAuthority) {
    this.#rest = rest;
    this.#authority = authority;
  }

  async create(
    scope: Scope,
    name: string,
    body: unknown,
    context: RequestContext,
  ): Promise<Record<string, unknown>> {
    const spec = isPlainObject(body) && isPlainObject(body['spec']) ? body['spec'] : {};
    const expirationSeconds = expirationOf(spec['expirationSeconds'], name);
    const audiences = audiencesOf(spec['audiences'], this.#authority.apiAudiences);
    const account = (await this.#rest.get(scope, name)).object;
    const issued = this.#authority.issue(
      { namespace: scope.namespace ?? '', name, uid: account.metadata.uid ?? '' },
      audiences,
      expirationSeconds,
      context.now,
    );
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace: scope.namespace, creationTimestamp: kubeTimestamp(context.now) },
      spec: { audiences, expirationSeconds, boundObjectRef: spec['boundObjectRef'] ?? null },
      status: { token: issued.token, expirationTimestamp: kubeTimestamp(issued.expiresAt) },
    };
  }
}

function expirationOf(value: unknown, name: string): number {
  if (value === undefined || value === null) return DEFAULT_EXPIRATION_SECONDS;
  const seconds = Number(value);
  const problem = !Number.isSafeInteger(seconds)
    ? 'must be an integer'
    : seconds < MIN_EXPIRATION_SECONDS
      ? 'may not specify a duration less than 10 minutes'
      : seconds > MAX_EXPIRATION_SECONDS
        ? 'may not specify a duration larger than 2^32 seconds'
        : undefined;
  if (problem) {
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [
      { field: 'spec.expirationSeconds', message: `Invalid value: ${JSON.stringify(value)}: ${problem}` },
    ]);
  }
  return seconds;
}

function audiencesOf(value: unknown, defaults: string[]): string[] {
  if (!Array.isArray(value) || value.length === 0) return defaults;
  return value.filter((audience): audience is string => typeof audience === 'string' && audience !== '');
}
