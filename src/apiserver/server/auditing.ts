/**
 * Audit logging in the API server, as kube-apiserver's audit filter does it: the policy decides a level per
 * request (None logs nothing), and events are written at RequestReceived, ResponseStarted (watches) and
 * ResponseComplete, carrying bodies only at Request/RequestResponse. The policy and event shapes are in
 * src/audit/; this is where a request's facts are gathered.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  auditEvent,
  authorizationAnnotations,
  objectReference,
  responseStatus,
  type AuditOutcome,
  type AuditRequestFacts,
} from '../../audit/event.ts';
import type { AuditLogWriter } from '../../audit/log-writer.ts';
import { levelFor, type AuditPolicy, type RequestAuditConfig, type Stage } from '../../audit/policy.ts';
import type { UserInfo } from '../objects/context.ts';
import type { RequestAttributes } from './request-attributes.ts';

export interface AuditSink {
  policy: AuditPolicy;
  writer: AuditLogWriter;
  onError: (error: unknown) => void;
}

/** One request's audit trail; every method is a no-op when the policy says None. */
export class AuditTrail {
  readonly auditId: string;
  readonly #sink: AuditSink | undefined;
  readonly #config: RequestAuditConfig | undefined;
  /** Gathered only when the policy logs this request: most requests are not audited. */
  readonly #facts: AuditRequestFacts | undefined;
  #annotations: Record<string, string> = {};

  constructor(
    sink: AuditSink | undefined,
    request: IncomingMessage,
    attributes: RequestAttributes,
    impersonator: UserInfo | undefined,
  ) {
    const sent = request.headers['audit-id'];
    this.auditId = typeof sent === 'string' && sent !== '' ? sent : randomUUID();
    this.#sink = sink;
    const user = impersonator ?? attributes.user;
    // kube's audit filter runs before impersonation: the policy's `users` and `userGroups` match the requester.
    this.#config = sink && levelFor(sink.policy, { ...attributes, user });
    this.#facts = this.#config && requestFacts(this.auditId, request, attributes, user, impersonator);
    this.#write('RequestReceived', undefined);
  }

  authorized(allowed: boolean, reason: string): void {
    if (!this.#config) return;
    this.#annotations = authorizationAnnotations(allowed ? 'allow' : 'forbid', reason);
  }

  /** A watch's headers went out (long-running requests get this stage). */
  responseStarted(code: number): void {
    this.#write('ResponseStarted', { responseStatus: responseStatus(code), annotations: this.#annotations });
  }

  complete(
    code: number,
    bodies: { requestObject?: unknown; requestPatch?: unknown; responseObject?: unknown } = {},
  ): void {
    this.#write('ResponseComplete', {
      ...bodies,
      responseStatus: responseStatus(code, bodies.responseObject),
      annotations: this.#annotations,
    });
  }

  #write(stage: Stage, outcome: AuditOutcome | undefined): void {
    if (!this.#sink || !this.#config || !this.#facts) return;
    const event = auditEvent({
      config: this.#config,
      stage,
      request: this.#facts,
      outcome,
      stageTimestamp: now(),
    });
    if (event) this.#sink.writer.write(event).catch(this.#sink.onError);
  }
}

function requestFacts(
  auditId: string,
  request: IncomingMessage,
  attributes: RequestAttributes,
  user: UserInfo,
  impersonator: UserInfo | undefined,
): AuditRequestFacts {
  return {
    auditID: auditId,
    requestURI: request.url ?? '/',
    verb: attributes.verb,
    user,
    impersonatedUser: impersonator ? attributes.user : undefined,
    sourceIPs: [request.socket.remoteAddress ?? ''].filter(Boolean),
    userAgent: request.headers['user-agent'],
    objectRef: attributes.resourceRequest
      ? objectReference({
          group: attributes.apiGroup,
          version: attributes.apiVersion,
          resource: attributes.resource,
          namespace: attributes.namespace || undefined,
          name: attributes.name || undefined,
          subresource: attributes.subresource || undefined,
        })
      : undefined,
    requestReceivedTimestamp: now(),
  };
}

function now(): number {
  return performance.timeOrigin + performance.now();
}
