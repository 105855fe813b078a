/**
 * Runs `cloak kms-plugin` (see kms-plugin.ts for the flags): checks the flags, opens the backend, serves the
 * plugin until SIGINT/SIGTERM, then stops and removes the socket. Logs to stderr one line when it starts and one
 * when it stops, plus failed calls and changes of health; never a key, a plaintext or a ciphertext.
 */
import { CloakError, UsageError, errorMessage } from '../../common/errors.ts';
import { isBackendName, type BackendConfig, type BackendName } from '../../kms/backends/index.ts';
import { AWS_KMS_KEY_ARN, AZURE_KEY_URL, GCP_KMS_KEY } from '../../kms/backends/specs.ts';
import { parseKmsEndpoint } from '../../kms/endpoint.ts';
import { KmsError } from '../../kms/errors.ts';
import { oneLine } from '../../kms/protocol.ts';
import type { KeyFileFlags, KmsPluginFlags, PruneFlags } from './kms-plugin.ts';

const LOG_PREFIX = 'cloak kms-plugin:';

function log(line: string): void {
  process.stderr.write(`${LOG_PREFIX} ${line}\n`);
}

/** The flags each backend takes, as flag names (for "this flag is for another backend"). */
const BACKEND_FLAGS: Record<BackendName, (keyof KmsPluginFlags)[]> = {
  local: ['keyFile'],
  vault: ['vaultAddress', 'vaultMount', 'vaultKey'],
  aws: ['awsKeyId', 'awsEndpoint'],
  gcp: ['gcpKey', 'gcpEndpoint'],
  azure: ['azureKey'],
};

function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** The backend configuration the flags describe; usage errors for anything missing, malformed or misplaced. */
export function backendConfig(flags: KmsPluginFlags, env: NodeJS.ProcessEnv = process.env): BackendConfig {
  const backend = flags.backend;
  if (!isBackendName(backend)) {
    throw new UsageError(`--backend must be local, vault, aws, gcp or azure, not "${backend}"`);
  }
  for (const [other, keys] of Object.entries(BACKEND_FLAGS)) {
    if (other === backend) continue;
    const misplaced = keys.find((key) => flags[key] !== undefined);
    if (misplaced) throw new UsageError(`${flagName(misplaced)} is for --backend ${other}, not ${backend}`);
  }
  const required = (value: string | undefined, flag: string): string => {
    if (value === undefined || value.trim() === '') {
      throw new UsageError(`--backend ${backend} needs ${flag}`);
    }
    return value.trim();
  };
  switch (backend) {
    case 'local':
      return { backend, keyFile: required(flags.keyFile, '--key-file') };
    case 'vault': {
      const address = (flags.vaultAddress ?? env['VAULT_ADDR'] ?? '').trim().replace(/\/+$/, '');
      if (address === '') throw new UsageError('--backend vault needs --vault-address (or VAULT_ADDR)');
      if (!/^https?:\/\/[^/?#]+$/.test(address)) {
        throw new UsageError(`--vault-address must be http(s)://host[:port] with no path, not "${address}"`);
      }
      const key = required(flags.vaultKey, '--vault-key');
      if (!/^[^/\s]+$/.test(key))
        throw new UsageError(`--vault-key must be a transit key name, not "${key}"`);
      const mount = (flags.vaultMount ?? 'transit').trim().replace(/^\/+|\/+$/g, '');
      if (mount === '' || /\s/.test(mount)) throw new UsageError(`--vault-mount must be a mount path`);
      return { backend, address, mount, key };
    }
    case 'aws': {
      const keyId = required(flags.awsKeyId, '--aws-key-id');
      if (!AWS_KMS_KEY_ARN.test(keyId)) {
        throw new UsageError(
          `--aws-key-id must be a key or alias ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not "${keyId}"`,
        );
      }
      if (flags.awsEndpoint !== undefined && !/^https?:\/\/[^/]/.test(flags.awsEndpoint)) {
        throw new UsageError(`--aws-endpoint must be an http(s) URL, not "${flags.awsEndpoint}"`);
      }
      return { backend, keyId, endpoint: flags.awsEndpoint };
    }
    case 'gcp': {
      const key = required(flags.gcpKey, '--gcp-key');
      if (!GCP_KMS_KEY.test(key)) {
        throw new UsageError(
          `--gcp-key must be a CryptoKey (projects/P/locations/L/keyRings/R/cryptoKeys/K), not "${key}"`,
        );
      }
      if (
        flags.gcpEndpoint !== undefined &&
        !/^(?:https?:\/\/)?[^/:]+(?::\d+)?\/?$/.test(flags.gcpEndpoint)
      ) {
        throw new UsageError(
          `--gcp-endpoint must be host:port or http(s)://host:port, not "${flags.gcpEndpoint}"`,
        );
      }
      return { backend, key, endpoint: flags.gcpEndpoint };
    }
    case 'azure': {
      const key = required(flags.azureKey, '--azure-key');
      if (!AZURE_KEY_URL.test(key)) {
        throw new UsageError(
          `--azure-key must be a key URL (https://VAULT.vault.azure.net/keys/NAME[/VERSION]), not "${key}"`,
        );
      }
      return { backend, key };
    }
  }
}

export async function runKmsPlugin(flags: KmsPluginFlags): Promise<void> {
  if (flags.listen === undefined) {
    throw new UsageError('--listen is required (for example --listen unix:///var/run/cloak-kms.sock)');
  }
  try {
    parseKmsEndpoint(flags.listen);
  } catch (error) {
    if (error instanceof KmsError) throw new UsageError(`--listen: ${error.message}`);
    throw error;
  }
  const config = backendConfig(flags);
  // From here on a signal stops the plugin cleanly, even one that arrives while it starts.
  const stopped = untilSignal();

  // The socket is the only file this process makes: nobody but its owner may connect.
  process.umask(0o077);
  const [{ openBackend }, { KmsPlugin }, { serveKms }] = await Promise.all([
    import('../../kms/backends/index.ts'),
    import('../../kms/plugin.ts'),
    import('../../kms/grpc.ts'),
  ]);
  const backend = await openBackend(config);
  let lastHealthz: string | undefined;
  const plugin = new KmsPlugin(backend, {
    onHealthChange: (healthz) => {
      const first = lastHealthz === undefined;
      lastHealthz = healthz;
      if (healthz !== 'ok') log(`unhealthy: ${healthz}`);
      else if (!first) log('healthy again');
    },
  });
  let server;
  try {
    server = await serveKms(plugin, flags.listen, {
      onError: (method, error) => log(`${method} failed: ${describeFailure(error)}`),
    });
  } catch (error) {
    await backend.close?.();
    throw error;
  }

  const details = [backend.description];
  for (const warning of backend.warnings?.() ?? []) log(`warning: ${warning}`);
  if (config.backend === 'local') details.push(`current key ${await backend.keyId()}`);
  if (server.replacedStaleSocket) details.push('replaced a stale socket');
  log(`serving KMS v2 on ${flags.listen} (${details.join(', ')}); pid ${process.pid}`);

  const signal = await stopped;
  await server.close();
  await backend.close?.();
  log(`stopped on ${signal}; removed the socket`);
}

/** A call's failure for the log: a CloakError's message is written to hold no secret; others only by kind. */
function describeFailure(error: unknown): string {
  if (error instanceof CloakError) return oneLine(errorMessage(error), 500);
  return `unexpected ${error instanceof Error ? error.name : typeof error}`;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

// --- key file helpers -----------------------------------------------------------------------------------------

export async function runKeygen(flags: KeyFileFlags): Promise<void> {
  const { createKeyFile } = await import('../../kms/backends/local-file.ts');
  const keyId = await createKeyFile(flags.keyFile, new Date());
  process.stdout.write(`${keyId}\n`);
}

export async function runRotate(flags: KeyFileFlags): Promise<void> {
  const { rotateKeyFile } = await import('../../kms/backends/local-file.ts');
  const keyIds = await rotateKeyFile(flags.keyFile, new Date());
  process.stdout.write(`${keyIds[0]}\n`);
  process.stderr.write(
    `note: ${flags.keyFile} holds ${keyIds.length} keys; the new one wraps from now on (a running plugin ` +
      'switches by itself, the API server at its next Status poll). Once the secrets are re-encrypted ' +
      '(kubectl get secrets -A -o json | kubectl replace -f -), remove the old keys with: ' +
      `cloak kms-plugin prune --key-file ${flags.keyFile} --keep 1\n`,
  );
}

export async function runPrune(flags: PruneFlags): Promise<void> {
  const keep = Number(flags.keep);
  if (!/^\d+$/.test(flags.keep) || !Number.isSafeInteger(keep) || keep < 1) {
    throw new UsageError(`--keep must be a whole number of at least 1, not "${flags.keep}"`);
  }
  const { pruneKeyFile } = await import('../../kms/backends/local-file.ts');
  const { kept, removed } = await pruneKeyFile(flags.keyFile, keep);
  process.stdout.write(kept.map((id) => `${id}\n`).join(''));
  process.stderr.write(
    removed.length === 0
      ? `note: ${flags.keyFile} holds ${kept.length} keys; nothing to remove\n`
      : `note: removed ${removed.length} key(s) from ${flags.keyFile}: ${removed.join(', ')}\n`,
  );
}

export async function runList(flags: KeyFileFlags): Promise<void> {
  const { listKeyFile } = await import('../../kms/backends/local-file.ts');
  const ids = await listKeyFile(flags.keyFile);
  process.stdout.write(ids.map((id) => `${id}\n`).join(''));
}
