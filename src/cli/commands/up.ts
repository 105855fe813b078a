/**
 * `cloak up` (what `npm start` runs): the main job on one machine. The local control plane, Cloak's CRDs and
 * the operator in one process, with state in ./.cloak so that a second run picks up where the first stopped.
 * This module declares the command; up-run.ts runs it.
 */
import type { Command } from 'commander';

export interface UpFlags {
  dataDir: string;
  listen: string;
  kubeconfigOut?: string;
  operator: boolean;
  controllerListen: string;
  metricsListen: string;
  unsealWorkers?: string;
  logLevel: string;
}

export const DEFAULT_UP_LISTEN = '127.0.0.1:6443';

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .summary('run Cloak on this machine: local control plane, CRDs and operator (what `npm start` runs)')
    .description(
      'Starts the local control plane (as `cloak dev cluster`: SQLite in --data-dir), installs Cloak’s ' +
        'CustomResourceDefinitions, and runs the operator against it with leader election (as `cloak ' +
        'operator`: keys in kube-system, its HTTP API reached through the API server’s service proxy, so ' +
        'kubectl, kubeseal and `cloak seal` work unchanged). Prints the kubeconfig to use, the controller’s ' +
        'certificate URL and a command to try; writes an example SealedSecret, sealed for this controller’s ' +
        'key, into <data-dir>/examples/ at first start. Running it again reuses the data, the keys and the ' +
        'example. Ctrl-C (or SIGTERM) stops everything cleanly.',
    )
    .option('--data-dir <dir>', 'state: certificates, tokens, the SQLite database, logs, examples', '.cloak')
    .option('--listen <host:port>', 'address of the API server (port 0 picks a free one)', DEFAULT_UP_LISTEN)
    .option('--kubeconfig-out <path>', 'where to write the admin kubeconfig (default: <data-dir>/kubeconfig)')
    .option('--no-operator', 'only the control plane and the CRDs; run `cloak operator` yourself')
    .option(
      '--controller-listen <host:port>',
      'address of the controller’s HTTP API (/v1/cert.pem, /v1/verify, …); the API server proxies to it',
      '127.0.0.1:0',
    )
    .option(
      '--metrics-listen <host:port>',
      'address of the operator’s /metrics, /healthz and /readyz',
      '127.0.0.1:0',
    )
    .option('--unseal-workers <n>', 'worker threads for RSA work (default: one per core)')
    .option('--log-level <level>', 'operator log level (the log is <data-dir>/operator.log)', 'info')
    .action(async (flags: UpFlags) => {
      const { runUp } = await import('./up-run.ts');
      await runUp(flags);
    });
}
