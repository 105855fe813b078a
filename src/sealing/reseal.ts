/**
 * Re-sealing one SealedSecret with private keys, offline (`cloak reseal --recovery-private-key`): every value is
 * opened with the keyring (hint first) under its scope's label and sealed again for the target key with the same
 * label, so the SealedSecret keeps its name, namespace, scope and templates. Values already sealed for the target
 * stay as they are (their ciphertext, and so the file, does not change). Pure: keys and values in, values out.
 */
import type { KeyObject } from 'node:crypto';
import { decodeStdBase64, encodeStdBase64 } from '../manifests/base64.ts';
import { hybridEncrypt } from './format.ts';
import type { Keyring } from './keyring.ts';
import { encryptionLabel, scopeOf } from './scope.ts';
import {
  LEGACY_DATA_ITEM,
  SEALING_KEY_ANNOTATION,
  UnsealError,
  type ItemFailure,
  type SealedSecret,
} from './sealed-secret.ts';

/** The key to seal for: its public key and fingerprint (as publicKeyFingerprint computes it). */
export interface ResealTarget {
  publicKey: KeyObject;
  fingerprint: string;
}

/** What changes in a SealedSecret: new ciphertexts of the items that were sealed for another key, and the hint. */
export interface ResealedValues {
  encryptedData: Record<string, string>;
  /** The new spec.data of a SealedSecret in the deprecated v1 format. */
  data?: string;
  /** The hint to record, when the SealedSecret's own is missing or names another key. */
  hint?: string;
  /** How many values were sealed again (0: only the hint changes). */
  resealed: number;
}

/**
 * The changes that put `sealed` on the target key; undefined when it already is (every value opens with the
 * target key and the hint, if any, names it). Throws UnsealError naming the items no key opens.
 */
export function resealWithKeys(
  sealed: SealedSecret,
  where: string,
  keyring: Keyring,
  target: ResealTarget,
): ResealedValues | undefined {
  const { metadata, spec } = sealed;
  const label = encryptionLabel(scopeOf(metadata.annotations), metadata.namespace ?? '', metadata.name ?? '');
  const hint = metadata.annotations?.[SEALING_KEY_ANNOTATION];
  const items: [string, string][] =
    spec.data !== undefined ? [[LEGACY_DATA_ITEM, spec.data]] : Object.entries(spec.encryptedData);
  const failures: ItemFailure[] = [];
  const changed: [string, string][] = [];
  for (const [item, encoded] of items) {
    let opened;
    try {
      opened = keyring.open(decodeStdBase64(encoded), label, hint);
    } catch (error) {
      failures.push({ item, reason: (error as Error).message, noKey: false });
      continue;
    }
    if (!opened) failures.push({ item, reason: 'no key could decrypt secret', noKey: true });
    else if (opened.key.fingerprint !== target.fingerprint)
      changed.push([item, encodeStdBase64(hybridEncrypt(target.publicKey, opened.plaintext, label))]);
  }
  if (failures.length > 0) throw new UnsealError(where, failures);
  const staleHint = hint !== undefined && hint !== target.fingerprint;
  if (changed.length === 0 && !staleHint) return undefined;
  const result: ResealedValues = { encryptedData: {}, resealed: changed.length, hint: target.fingerprint };
  for (const [item, value] of changed) {
    if (item === LEGACY_DATA_ITEM && spec.data !== undefined) result.data = value;
    else result.encryptedData[item] = value;
  }
  return result;
}
