/**
 * The KMS plugin's key-encryption-key backends by name, each module (and its SDK) loaded only when chosen.
 */
import type { KekBackend } from '../plugin.ts';

export const BACKEND_NAMES = ['local', 'vault', 'aws', 'gcp', 'azure'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export type BackendConfig =
  | { backend: 'local'; keyFile: string }
  | { backend: 'vault'; address: string; mount: string; key: string }
  | { backend: 'aws'; keyId: string; endpoint?: string | undefined }
  | { backend: 'gcp'; key: string; endpoint?: string | undefined }
  | { backend: 'azure'; key: string };

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/** Opens the backend (the local one reads its key file now and fails if it cannot). */
export async function openBackend(
  config: BackendConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<KekBackend> {
  switch (config.backend) {
    case 'local': {
      const { LocalFileBackend } = await import('./local-file.ts');
      return LocalFileBackend.open(config.keyFile);
    }
    case 'vault': {
      const { VaultTransitBackend } = await import('./vault-transit.ts');
      return new VaultTransitBackend({ address: config.address, mount: config.mount, key: config.key, env });
    }
    case 'aws': {
      const { AwsKmsBackend } = await import('./aws-kms.ts');
      return new AwsKmsBackend({ keyId: config.keyId, endpoint: config.endpoint });
    }
    case 'gcp': {
      const { GcpKmsBackend } = await import('./gcp-kms.ts');
      return new GcpKmsBackend({ key: config.key, endpoint: config.endpoint, env });
    }
    case 'azure': {
      const { AzureKvBackend } = await import('./azure-kv.ts');
      return new AzureKvBackend({ key: config.key, env });
    }
  }
}
