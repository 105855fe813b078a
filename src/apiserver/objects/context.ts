/**
 * Who is asking and how: the request-scoped values every verb needs (the authenticated user, the clock, the
 * write options of the query string), and the warnings a verb wants sent back as `Warning` headers.
 */
import type { ResourceInfo } from '../resources.ts';

export interface UserInfo {
  username: string;
  uid?: string | undefined;
  groups: readonly string[];
  extra?: Record<string, readonly string[]> | undefined;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface RequestContext {
  user: UserInfo;
  now: Date;
  /** The client's User-Agent: the default field manager is its first word (`kubectl-edit`). */
  userAgent: string;
  warnings: string[];
  /** What the audit log may record of this request (filled by the handlers; logged only at Request level and up). */
  audit?: { requestObject?: unknown; responseObject?: unknown } | undefined;
}

export interface WriteOptions {
  dryRun: boolean;
  fieldManager: string | undefined;
  fieldValidation: FieldValidation;
  /** Server-side apply: take over fields other managers own. */
  force: boolean;
}

export interface Scope {
  info: ResourceInfo;
  /** The namespace from the URL (undefined for cluster-scoped resources and all-namespace lists). */
  namespace: string | undefined;
}

export const DEFAULT_WRITE_OPTIONS: WriteOptions = {
  dryRun: false,
  fieldManager: undefined,
  fieldValidation: 'Strict',
  force: false,
};

/** kube-apiserver's default field manager: the User-Agent up to the first `/`, at most 128 characters. */
export function defaultFieldManager(userAgent: string): string {
  const manager = (userAgent.split('/')[0] ?? '').trim();
  return manager.slice(0, 128) || 'unknown';
}
