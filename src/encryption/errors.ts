/**
 * Errors of encryption at rest. Messages name the file, field path, resource, etcd key, provider and key name,
 * never key material or stored data.
 */
import { CloakError } from '../common/errors.ts';

/** An EncryptionConfiguration kube-apiserver would refuse: every problem found, in one line. */
export class EncryptionConfigError extends CloakError {
  /** Each problem on its own, `<field path>: <message>` as kube's field errors read. */
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super('ERR_ENCRYPTION_CONFIG', `${source}: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/**
 * Stable codes of the failures of reading and writing values:
 * - ERR_ENCRYPTION_NO_MATCH: no configured provider (or key) matches how the value was stored: a key or provider
 *   removed while values still use it, plain data without the identity provider, an unknown prefix;
 * - ERR_ENCRYPTION_DECRYPT: a matching provider could not open the value (wrong key material, a value moved to
 *   another etcd key, corrupt bytes);
 * - ERR_ENCRYPTION_WRITE: the write provider cannot write (KMS v1 is read-only, a KMS v2 seed expired);
 * - ERR_KMS_PLUGIN: a KMS plugin call failed or the plugin's answer is invalid.
 */
export type EncryptionErrorCode =
  'ERR_ENCRYPTION_NO_MATCH' | 'ERR_ENCRYPTION_DECRYPT' | 'ERR_ENCRYPTION_WRITE' | 'ERR_KMS_PLUGIN';

export class EncryptionError extends CloakError {
  declare readonly code: EncryptionErrorCode;

  constructor(code: EncryptionErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** A failure inside one provider, before the chain adds which value and resource it was reading. */
export class ProviderError extends EncryptionError {}

/**
 * The first line of another component's error (a KMS plugin's status message), shortened: enough to diagnose,
 * never a whole payload.
 */
export function describeCause(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = (text.split('\n', 1)[0] ?? '').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line || 'unknown error';
}
