/**
 * What happens to a value between the codec and the key-value store: the seam where encryption at rest plugs
 * in. kube-apiserver's transformers see the whole etcd key (it is the authenticated data of the AEAD
 * providers), so ours do too. Reading reports whether the value was written by an older configuration, so
 * that a rewrite (storage migration) can find what still needs re-encrypting.
 */
export interface ValueTransformer {
  toStorage(plain: Uint8Array, key: string): Uint8Array | Promise<Uint8Array>;
  fromStorage(stored: Uint8Array, key: string): TransformedValue | Promise<TransformedValue>;
}

export interface TransformedValue {
  value: Uint8Array;
  /** Written by a provider that is not the current write provider. */
  stale: boolean;
}

export const IDENTITY_TRANSFORMER: ValueTransformer = {
  toStorage: (plain) => plain,
  fromStorage: (stored) => ({ value: stored, stale: false }),
};
