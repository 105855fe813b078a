/**
 * `cloak dev cluster`: the local control plane, a Kubernetes-API-compatible server for trying Cloak and
 * developing against on one machine. This module declares the command; dev-run.ts runs it.
 */
import type { Command } from 'commander';

export interface DevClusterFlags {
  dataDir?: string;
  storage: string;
  etcdEndpoints: string;
  listen: string;
  kubeconfigOut?: string;
  compactionInterval: string;
  bookmarkInterval: string;
  encryptionProviderConfig?: string;
  encryptionProviderConfigAutomaticReload?: boolean;
  auditPolicyFile?: string;
  auditLogPath?: string;
  auditLogMaxage?: string;
  auditLogMaxbackup?: string;
  auditLogMaxsize?: string;
}

export function registerDevCommand(program: Command): void {
  const dev = program
    .command('dev')
    .summary('local development tools')
    .description('Tools for trying Cloak on one machine.');
  dev
    .command('cluster')
    .summary('run a local Kubernetes API server (the local control plane)')
    .description(
      'Serves the Kubernetes REST API over HTTPS for kubectl and client libraries: the resources secrets ' +
        'management needs, custom resources from CRDs, and the control loops the API implies (namespace ' +
        'deletion, garbage collection, ClusterRole aggregation, default ServiceAccounts). No pods run: it is ' +
        'the API, its storage and those loops. State lives in --data-dir (SQLite) or in etcd; a restart keeps ' +
        'it. Writes a kubeconfig with an admin token (mode 0600) and runs until interrupted.',
    )
    .option(
      '--data-dir <dir>',
      'state directory: certificates, keys, tokens and the SQLite database (default: $XDG_DATA_HOME/cloak/dev-cluster)',
    )
    .option('--storage <backend>', 'sqlite (embedded, in --data-dir) or etcd', 'sqlite')
    .option(
      '--etcd-endpoints <urls>',
      'etcd client URLs, comma-separated (with --storage etcd)',
      'http://127.0.0.1:2379',
    )
    .option('--listen <host:port>', 'address to serve HTTPS on (port 0 picks a free one)', '127.0.0.1:6443')
    .option('--kubeconfig-out <path>', 'where to write the admin kubeconfig (default: <data-dir>/kubeconfig)')
    .option(
      '--compaction-interval <duration>',
      'how often storage history is compacted, keeping that much history (0 disables)',
      '5m',
    )
    .option('--bookmark-interval <duration>', 'how often watches that allow bookmarks get one', '1m')
    .option(
      '--encryption-provider-config <file>',
      'an EncryptionConfiguration (apiserver.config.k8s.io/v1): how stored values are encrypted at rest',
    )
    .option(
      '--encryption-provider-config-automatic-reload',
      'apply changes to the encryption configuration file without a restart',
    )
    .option(
      '--audit-policy-file <file>',
      'an audit.k8s.io/v1 Policy: which requests are logged, and how much of them',
    )
    .option('--audit-log-path <path>', 'write audit events (JSON lines) here; "-" is stdout')
    .option('--audit-log-maxage <days>', 'delete rotated audit logs older than this many days (0: keep)')
    .option('--audit-log-maxbackup <n>', 'keep at most this many rotated audit logs (0: keep all)')
    .option('--audit-log-maxsize <MB>', 'rotate the audit log when it reaches this size (default 100)')
    .action(async (flags: DevClusterFlags) => {
      const { runDevCluster } = await import('./dev-run.ts');
      await runDevCluster(flags);
    });
}
