/**
 * The KMS v2 plugin API (k8s.io/kms/apis/v2, `v2.KeyManagementService`) as an interface: what the encryption
 * providers call and what `cloak kms-plugin` serves. The gRPC client and server in src/kms/ implement it over a
 * unix socket, exactly as kube-apiserver talks to a plugin; tests may implement it in process.
 */
export interface KmsStatus {
  /** Must be "v2" ("v2beta1" is also accepted). */
  version: string;
  /** Must be exactly "ok" for the plugin to be healthy. */
  healthz: string;
  /** The current key-encryption key; a change makes the API server generate a new seed/DEK. */
  keyId: string;
}

export interface KmsEncryptResult {
  ciphertext: Uint8Array;
  keyId: string;
  annotations: Record<string, Uint8Array>;
}

export interface KmsDecryptRequest {
  ciphertext: Uint8Array;
  /** A random id for correlating logs (kube sends a UUID). */
  uid: string;
  keyId: string;
  annotations: Record<string, Uint8Array>;
}

export interface KmsService {
  status(): Promise<KmsStatus>;
  encrypt(plaintext: Uint8Array, uid: string): Promise<KmsEncryptResult>;
  decrypt(request: KmsDecryptRequest): Promise<Uint8Array>;
}
