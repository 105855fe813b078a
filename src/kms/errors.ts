/**
 * Errors of the KMS v2 plugin client, server and backends: one line, a stable code, never a plaintext, a
 * ciphertext or key material.
 */
import { CloakError } from '../common/errors.ts';

export type KmsErrorCode =
  /** The endpoint is not `unix:///absolute/path` or `unix:///@abstract-name`. */
  | 'ERR_KMS_ENDPOINT'
  /** No plugin accepted a connection on the socket within the deadline. */
  | 'ERR_KMS_UNREACHABLE'
  /** The plugin was connected but did not answer within the deadline. */
  | 'ERR_KMS_DEADLINE'
  /** Status did not say "ok" (or named another API version, or no key id). */
  | 'ERR_KMS_UNHEALTHY'
  /** The plugin answered a call with an error. */
  | 'ERR_KMS_CALL'
  /** A request the plugin refuses (empty ciphertext, unknown key id…): gRPC INVALID_ARGUMENT. */
  | 'ERR_KMS_REQUEST'
  /** Another server listens on the socket, or the path is not a socket. */
  | 'ERR_KMS_SOCKET_IN_USE'
  /** The server could not listen. */
  | 'ERR_KMS_SERVE'
  /** The local backend's key file is missing, unreadable or malformed. */
  | 'ERR_KMS_KEY_FILE'
  /** The key-encryption-key service failed (cloud KMS, Vault) or answered something unusable. */
  | 'ERR_KMS_BACKEND';

export class KmsError extends CloakError {
  declare readonly code: KmsErrorCode;

  constructor(code: KmsErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
