/**
 * Errors of the `cloak encryption` tools. Messages name files, field paths, etcd keys, providers and key names,
 * never key material or stored values.
 */
import { CloakError } from '../../common/errors.ts';

/**
 * Stable codes:
 * - ERR_ENCRYPTION_GENERATE: the options cannot make a configuration;
 * - ERR_ENCRYPTION_ROTATE: the configuration file is not in a state the rotation can step from;
 * - ERR_ENCRYPTION_DUMP: an `etcdctl get -w json` dump that cannot be read;
 * - ERR_ENCRYPTION_CHECKPOINT: a rewrite checkpoint file that cannot be used.
 */
export type EncryptionToolErrorCode =
  'ERR_ENCRYPTION_GENERATE' | 'ERR_ENCRYPTION_ROTATE' | 'ERR_ENCRYPTION_DUMP' | 'ERR_ENCRYPTION_CHECKPOINT';

export class EncryptionToolError extends CloakError {
  declare readonly code: EncryptionToolErrorCode;

  constructor(code: EncryptionToolErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
