/**
 * Runs `cloak dev cluster`: prepares the data directory, opens storage, starts the control plane, writes the
 * kubeconfig, and serves until SIGINT/SIGTERM.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseGoDuration } from '../../common/duration.ts';
import { UsageError, errorMessage } from '../../common/errors.ts';
import { describeFsError } from '../../common/fs-errors.ts';
import { startControlPlane } from '../../apiserver/control-plane.ts';
import { adminKubeconfig, prepareDataDir, writeKubeconfig } from '../../apiserver/data-dir.ts';
import { TokenAuthority } from '../../apiserver/server/tokens.ts';
import { DEFAULT_COMPACTION_POLICY, openSqliteStorage } from '../../apiserver/storage/sqlite.ts';
import { openEtcdStorage } from '../../apiserver/storage/etcd.ts';
import type { Storage } from '../../apiserver/storage/storage.ts';
import type { HealthCheck } from '../../apiserver/server/api-server.ts';
import type { AuditSink } from '../../apiserver/server/auditing.ts';
import { readFile } from 'node:fs/promises';
import type { DevClusterFlags } from './dev.ts';

export async function runDevCluster(flags: DevClusterFlags): Promise<void> {
  const { host, port } = parseListen(flags.listen);
  const compactionMs = parseGoDuration(flags.compactionInterval, '--compaction-interval');
  const bookmarkMs = parseGoDuration(flags.bookmarkInterval, '--bookmark-interval');
  if (bookmarkMs <= 0) throw new UsageError('--bookmark-interval must be positive');
  if (flags.storage !== 'sqlite' && flags.storage !== 'etcd')
    throw new UsageError(`--storage must be sqlite or etcd, not "${flags.storage}"`);
  const dataDir = flags.dataDir ?? defaultDataDir();
  const report = (error: unknown, where: string): void => {
    process.stderr.write(`cloak dev cluster: ${where}: ${errorMessage(error)}\n`);
  };
  // Configuration first: a refused start leaves no data directory behind.
  const audit = await openAudit(flags, report);
  const encryption = await loadEncryption(flags, report).catch(async (error: unknown) => {
    await audit?.writer.close();
    throw error;
  });
  const closeConfigured = async (): Promise<void> => {
    encryption?.close();
    await audit?.writer.close();
  };
  const material = await prepareDataDir(dataDir, [host], new Date()).catch(async (error: unknown) => {
    await closeConfigured();
    throw error;
  });
  const storage = await openStorage(flags, dataDir).catch(async (error: unknown) => {
    await closeConfigured();
    throw error;
  });
  const controlPlane = await startControlPlane({
    storage,
    tokens: new TokenAuthority(material.adminToken, material.signingKey),
    tls: material.serving,
    host,
    port,
    watch: { bookmarkIntervalMs: bookmarkMs },
    compaction: {
      intervalMs: compactionMs,
      policy: { ...DEFAULT_COMPACTION_POLICY, keepMillis: compactionMs },
    },
    report,
    transformers: encryption?.transformers,
    audit,
    healthChecks: encryption ? () => kmsHealthChecks(encryption) : undefined,
  }).catch(async (error: unknown) => {
    await closeConfigured();
    await storage.close();
    throw error;
  });
  const kubeconfigPath = flags.kubeconfigOut ?? join(dataDir, 'kubeconfig');
  await writeKubeconfig(
    kubeconfigPath,
    adminKubeconfig({
      server: controlPlane.url,
      caPem: material.ca.certificatePem,
      token: material.adminToken,
    }),
  );
  process.stdout.write(
    `Cloak dev cluster serving ${controlPlane.url} (storage: ${flags.storage}, data: ${dataDir})\n` +
      `kubeconfig: ${kubeconfigPath}\n  export KUBECONFIG=${kubeconfigPath}\n`,
  );
  await untilSignal();
  await controlPlane.close();
  encryption?.close();
  await audit?.writer.close();
}

/** Auditing needs both a policy and a log, as in kube-apiserver (either alone audits nothing). */
async function openAudit(
  flags: DevClusterFlags,
  report: (error: unknown, where: string) => void,
): Promise<AuditSink | undefined> {
  const { auditLogOptionsFromFlags, AuditLogWriter } = await import('../../audit/log-writer.ts');
  const logOptions = auditLogOptionsFromFlags(flags);
  if (!flags.auditPolicyFile || !logOptions) return undefined;
  const { AuditPolicyError, loadPolicy } = await import('../../audit/policy.ts');
  const policyFile = flags.auditPolicyFile;
  const text = await readFile(policyFile, 'utf8').catch((error: unknown) => {
    throw new AuditPolicyError(`cannot read ${policyFile}: ${describeFsError(error)}`);
  });
  const { policy } = loadPolicy(text, policyFile);
  const writer = await AuditLogWriter.open({ ...logOptions, onError: (error) => report(error, 'audit log') });
  return { policy, writer, onError: (error) => report(error, 'audit log') };
}

async function loadEncryption(flags: DevClusterFlags, report: (error: unknown, where: string) => void) {
  if (!flags.encryptionProviderConfig) {
    if (flags.encryptionProviderConfigAutomaticReload) {
      throw new UsageError(
        '--encryption-provider-config-automatic-reload needs --encryption-provider-config',
      );
    }
    return undefined;
  }
  const { EncryptionAtRest } = await import('../../apiserver/encryption-at-rest.ts');
  return EncryptionAtRest.load(flags.encryptionProviderConfig, {
    automaticReload: flags.encryptionProviderConfigAutomaticReload === true,
    report,
    onReload: () => process.stderr.write(`cloak dev cluster: encryption configuration reloaded\n`),
  });
}

/** `/healthz/kms-providers`: one check for every KMS v2 plugin, as kube-apiserver combines them. */
async function kmsHealthChecks(encryption: {
  checkKmsHealth(): Promise<{ name: string; healthy: boolean; error?: string | undefined }[]>;
}): Promise<HealthCheck[]> {
  const health = await encryption.checkKmsHealth();
  if (health.length === 0) return [];
  const failing = health.filter((provider) => !provider.healthy);
  const problem = failing.map((provider) => `${provider.name}: ${provider.error ?? 'unhealthy'}`).join('; ');
  return [{ name: 'kms-providers', problem: failing.length > 0 ? problem : undefined }];
}

export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--listen must be host:port (for example 127.0.0.1:6443), not "${value}"`);
  return { host, port };
}

function defaultDataDir(): string {
  const base = process.env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share');
  return join(base, 'cloak', 'dev-cluster');
}

async function openStorage(flags: DevClusterFlags, dataDir: string): Promise<Storage> {
  if (flags.storage === 'etcd') {
    const endpoints = flags.etcdEndpoints
      .split(',')
      .map((endpoint) => endpoint.trim())
      .filter(Boolean);
    return openEtcdStorage({ endpoints });
  }
  return openSqliteStorage({ path: join(dataDir, 'state.db') });
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
