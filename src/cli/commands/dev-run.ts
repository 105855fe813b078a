/**
 * Runs `cloak dev cluster`: prepares the data directory, opens storage, starts the control plane, writes the
 * kubeconfig, and serves until SIGINT/SIGTERM.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseGoDuration } from '../../common/duration.ts';
import { UsageError, errorMessage } from '../../common/errors.ts';
import { startControlPlane } from '../../apiserver/control-plane.ts';
import { adminKubeconfig, prepareDataDir, writeKubeconfig } from '../../apiserver/data-dir.ts';
import { TokenAuthority } from '../../apiserver/server/tokens.ts';
import { DEFAULT_COMPACTION_POLICY, openSqliteStorage } from '../../apiserver/storage/sqlite.ts';
import { openEtcdStorage } from '../../apiserver/storage/etcd.ts';
import type { Storage } from '../../apiserver/storage/storage.ts';
import type { DevClusterFlags } from './dev.ts';

export async function runDevCluster(flags: DevClusterFlags): Promise<void> {
  const { host, port } = parseListen(flags.listen);
  const compactionMs = parseGoDuration(flags.compactionInterval, '--compaction-interval');
  const bookmarkMs = parseGoDuration(flags.bookmarkInterval, '--bookmark-interval');
  if (bookmarkMs <= 0) throw new UsageError('--bookmark-interval must be positive');
  if (flags.storage !== 'sqlite' && flags.storage !== 'etcd')
    throw new UsageError(`--storage must be sqlite or etcd, not "${flags.storage}"`);
  const dataDir = flags.dataDir ?? defaultDataDir();
  const material = await prepareDataDir(dataDir, [host], new Date());
  const storage = await openStorage(flags, dataDir);
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
    report: (error, where) => process.stderr.write(`cloak dev cluster: ${where}: ${errorMessage(error)}\n`),
  }).catch(async (error: unknown) => {
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
}

function parseListen(value: string): { host: string; port: number } {
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
