/**
 * `cloak kms-plugin`: a Kubernetes KMS v2 plugin (encryption at rest through kube-apiserver's `kms` provider),
 * and its key file helpers. This module declares the commands; kms-plugin-run.ts runs them.
 */
import type { Command } from 'commander';

export interface KmsPluginFlags {
  listen?: string;
  backend: string;
  keyFile?: string;
  vaultAddress?: string;
  vaultMount?: string;
  vaultKey?: string;
  awsKeyId?: string;
  awsEndpoint?: string;
  gcpKey?: string;
  gcpEndpoint?: string;
  azureKey?: string;
}

export interface KeyFileFlags {
  keyFile: string;
}

export interface PruneFlags extends KeyFileFlags {
  keep: string;
}

export function registerKmsPluginCommand(program: Command): void {
  const kms = program
    .command('kms-plugin')
    .summary('run a KMS v2 plugin for Kubernetes encryption at rest')
    .description(
      "Serves Kubernetes' KMS v2 plugin API (v2.KeyManagementService over gRPC) on a unix socket, for " +
        "kube-apiserver's EncryptionConfiguration `kms` provider (apiVersion: v2, endpoint: the --listen " +
        'socket). The API server sends data-key seeds to wrap and wrapped seeds to unwrap; the backend holds ' +
        'the key-encryption key: a local key file (default), Vault transit, AWS KMS, GCP Cloud KMS or Azure ' +
        'Key Vault. Runs until SIGINT or SIGTERM and removes its socket. The socket is made mode 0600: whoever ' +
        'can connect can unwrap data keys. An abstract socket (unix:///@name) has no permissions at all.',
    )
    .option(
      '--listen <endpoint>',
      'socket to serve on: unix:///path/to/plugin.sock or unix:///@abstract-name',
    )
    .option('--backend <name>', 'key-encryption key: local, vault, aws, gcp or azure', 'local')
    .option('--key-file <path>', 'local: the key file (make one with `cloak kms-plugin keygen`)')
    .option(
      '--vault-address <url>',
      'vault: the Vault server (default: $VAULT_ADDR); token from $VAULT_TOKEN',
    )
    .option('--vault-mount <path>', 'vault: where the transit engine is mounted (default: transit)')
    .option('--vault-key <name>', 'vault: the transit key')
    .option('--aws-key-id <arn>', 'aws: the KMS key or alias ARN (its region is used)')
    .option('--aws-endpoint <url>', 'aws: KMS endpoint URL (default: the SDK’s, e.g. $AWS_ENDPOINT_URL_KMS)')
    .option('--gcp-key <id>', 'gcp: the CryptoKey, projects/P/locations/L/keyRings/R/cryptoKeys/K')
    .option(
      '--gcp-endpoint <host:port>',
      'gcp: Cloud KMS endpoint (default: $SOPS_GCP_KMS_ENDPOINT or Google’s)',
    )
    .option('--azure-key <url>', 'azure: the key, https://VAULT.vault.azure.net/keys/NAME[/VERSION]')
    .action(async (flags: KmsPluginFlags) => {
      const { runKmsPlugin } = await import('./kms-plugin-run.ts');
      await runKmsPlugin(flags);
    });

  kms
    .command('keygen')
    .summary('make a key file for the local backend')
    .description(
      'Writes a new key file holding one random AES-256 key (mode 0600) and prints its key id. Refuses to ' +
        'overwrite an existing file.',
    )
    .requiredOption('--key-file <path>', 'the key file to make')
    .action(async (flags: KeyFileFlags) => {
      const { runKeygen } = await import('./kms-plugin-run.ts');
      await runKeygen(flags);
    });

  kms
    .command('rotate')
    .summary('add a new current key to a key file')
    .description(
      'Puts a new random key first in the key file, so that it wraps from now on, and prints its key id. The ' +
        'older keys stay to unwrap what they wrapped. A running plugin picks the change up by itself, and the ' +
        'API server at its next Status poll (every minute). Re-encrypt the secrets afterwards, then remove the ' +
        'old keys with `cloak kms-plugin prune`.',
    )
    .requiredOption('--key-file <path>', 'the key file')
    .action(async (flags: KeyFileFlags) => {
      const { runRotate } = await import('./kms-plugin-run.ts');
      await runRotate(flags);
    });

  kms
    .command('prune')
    .summary('remove old keys from a key file')
    .description(
      'Keeps the first --keep keys of the key file (the current one first) and removes the others; prints the ' +
        'key ids that remain. Data still wrapped by a removed key can no longer be read: re-encrypt first.',
    )
    .requiredOption('--key-file <path>', 'the key file')
    .requiredOption('--keep <n>', 'how many keys to keep, at least 1')
    .action(async (flags: PruneFlags) => {
      const { runPrune } = await import('./kms-plugin-run.ts');
      await runPrune(flags);
    });

  kms
    .command('list')
    .summary('print the key ids of a key file')
    .description('Prints the key id of every key in the key file, one per line, the current key first.')
    .requiredOption('--key-file <path>', 'the key file')
    .action(async (flags: KeyFileFlags) => {
      const { runList } = await import('./kms-plugin-run.ts');
      await runList(flags);
    });
}
