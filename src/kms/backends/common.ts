/**
 * What the cloud backends share: a round trip of a random probe (their health check, which also learns the
 * current key id), and failures of the key clients turned into ERR_KMS_BACKEND with the clients' one-line,
 * secret-free messages.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CloakError, errorMessage } from '../../common/errors.ts';
import { describeCause } from '../../sops/keys/cloud-common.ts';
import { KmsError } from '../errors.ts';
import type { KekBackend } from '../plugin.ts';

/** Wraps and unwraps 32 random bytes; returns the key id the wrap reported. */
export async function roundTrip(
  backend: Pick<KekBackend, 'wrap' | 'unwrap' | 'description'>,
): Promise<string> {
  const probe = new Uint8Array(randomBytes(32));
  const wrapped = await backend.wrap(probe);
  const unwrapped = await backend.unwrap(wrapped.ciphertext, wrapped.keyId, wrapped.annotations);
  if (unwrapped.length !== probe.length || !timingSafeEqual(unwrapped, probe)) {
    throw new KmsError('ERR_KMS_BACKEND', `${backend.description}: a wrapped probe did not unwrap to itself`);
  }
  return wrapped.keyId;
}

/** A key client's failure as a backend error; a KmsError (a refused request…) stays as it is. */
export function backendError(error: unknown, description: string): KmsError {
  if (error instanceof KmsError) return error;
  if (error instanceof CloakError)
    return new KmsError('ERR_KMS_BACKEND', errorMessage(error), { cause: error });
  return new KmsError('ERR_KMS_BACKEND', `${description}: ${describeCause(error)}`, { cause: error });
}

/** Runs a key client call, turning its failure into a backend error. */
export async function guarded<T>(description: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw backendError(error, description);
  }
}
