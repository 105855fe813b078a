/**
 * `cloak operator`: the SealedSecret controller, a drop-in for the Bitnami controller (its flags where it has
 * them, also as SEALED_SECRETS_<FLAG> environment variables), against any cluster: a kubeconfig, or the pod's
 * service account in a cluster. `cloak operator crds` prints the CRDs it serves. This module declares the
 * commands; operator-run.ts runs them.
 */
import { Command, Option } from 'commander';
import { DEFAULT_CONTROLLER_NAME, DEFAULT_KEY_PREFIX, DEFAULT_KEY_TTL } from '../../sealing/constants.ts';
import { applyFlagEnvironment } from '../flag-env.ts';
import type { KubectlFlagValues } from '../kube-flags.ts';

/** The cluster-selecting kubectl flags the operator takes (its --namespace is the controller's, not kubectl's). */
type OperatorKubectlFlags = Pick<
  KubectlFlagValues,
  | 'kubeconfig'
  | 'context'
  | 'cluster'
  | 'user'
  | 'server'
  | 'token'
  | 'insecureSkipTlsVerify'
  | 'certificateAuthority'
>;

export interface OperatorFlags extends OperatorKubectlFlags {
  namespace?: string;
  keyPrefix: string;
  keySize: string;
  keyTtl: string;
  myCn: string;
  keyRenewPeriod: string;
  rotatePeriod?: string;
  keyOrderPriority: string;
  keyCutoffTime?: string;
  acceptDeprecatedV1Data: string | boolean;
  allNamespaces: string | boolean;
  additionalNamespaces?: string;
  labelSelector?: string;
  rateLimit: string;
  rateLimitBurst: string;
  privatekeyAnnotations?: string;
  privatekeyLabels?: string;
  updateStatus: string | boolean;
  skipRecreate: string | boolean;
  maxUnsealRetries: string;
  logLevel: string;
  logFormat: string;
  listenAddr: string;
  listenMetricsAddr: string;
  kubeclientQps: string;
  kubeclientBurst: string;
  leaderElect: string | boolean;
  leaderElectionId: string;
  leaderElectionNamespace?: string;
  leaderElectLeaseDuration: string;
  leaderElectRenewDeadline: string;
  leaderElectRetryPeriod: string;
  advertiseAddress?: string;
  serviceName: string;
  workers: string;
  unsealWorkers?: string;
}

const FLAG_ENV_PREFIX = 'SEALED_SECRETS';

/** A Go-style boolean flag: `--flag`, `--flag=true`, `--flag=false`. */
function boolOption(flags: string, description: string, defaultValue: boolean): Option {
  return new Option(`${flags} [bool]`, description).default(defaultValue);
}

export function registerOperatorCommand(program: Command): void {
  const operator = program
    .command('operator')
    .summary('run the SealedSecret controller (Bitnami Sealed Secrets compatible)')
    .description(
      'Unseals bitnami.com/v1alpha1 SealedSecrets into Secrets they own, keeps its sealing keys as the Bitnami ' +
        'controller does (kubernetes.io/tls Secrets labelled sealedsecrets.bitnami.com/sealed-secrets-key in ' +
        'the controller namespace; existing Bitnami keys work unchanged; a new one every --key-renew-period, on ' +
        'SIGUSR1 and on POST /v1/rotate-key), and serves its HTTP API (/healthz, /v1/cert.pem, /v1/verify, ' +
        '/v1/rotate) on --listen-addr and Prometheus metrics on --listen-metrics-addr. Connects with a ' +
        'kubeconfig, or in a pod with its service account. Install the CRD first: `cloak operator crds | ' +
        'kubectl apply -f -`. Runs until SIGTERM or SIGINT.',
    )
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('--cluster <name>', 'kubeconfig cluster to use')
    .option('--user <name>', 'kubeconfig user to use')
    .option('-s, --server <url>', 'address of the Kubernetes API server')
    .option('--token <token>', 'bearer token for the API server')
    .option('--insecure-skip-tls-verify', "do not check the API server's certificate (insecure)")
    .option('--certificate-authority <file>', 'CA certificate file for the API server')
    .option(
      '--namespace <namespace>',
      'controller namespace: its keys, lease and Service (default: $POD_NAMESPACE, the service account’s, else kube-system)',
    )
    .option('--key-prefix <prefix>', 'prefix of the names of new key Secrets', DEFAULT_KEY_PREFIX)
    .option('--key-size <bits>', 'size of new RSA keys', '4096')
    .option('--key-ttl <duration>', 'validity of the certificates of new keys', DEFAULT_KEY_TTL)
    .option('--my-cn <name>', 'subject and issuer common name of new certificates', '')
    .option('--key-renew-period <duration>', 'generate a new key this often (0: never)', '720h')
    .addOption(new Option('--rotate-period <duration>', 'deprecated: use --key-renew-period').hideHelp())
    .option(
      '--key-order-priority <order>',
      'which key is newest: CertNotBefore or SecretCreationTimestamp',
      'CertNotBefore',
    )
    .option(
      '--key-cutoff-time <time>',
      'generate a new key at start if the newest is older than this (RFC 1123 with numeric zone, as `date -R`)',
    )
    .addOption(boolOption('--accept-deprecated-v1-data', 'unseal the deprecated spec.data format', true))
    .addOption(boolOption('--all-namespaces', 'unseal in every namespace, else only the controller’s', true))
    .option(
      '--additional-namespaces <list>',
      'comma-separated namespaces to unseal in besides the controller’s',
    )
    .option('--label-selector <selector>', 'only SealedSecrets (and Secrets) with these labels')
    .option('--rate-limit <n>', 'requests per second to /v1/verify and /v1/rotate, per client', '2')
    .option('--rate-limit-burst <n>', 'requests allowed beyond --rate-limit at once', '2')
    .option('--privatekey-annotations <list>', 'k=v,… annotations for new key Secrets')
    .option('--privatekey-labels <list>', 'k=v,… labels for new key Secrets')
    .addOption(boolOption('--update-status', 'write status.conditions and observedGeneration', true))
    .addOption(boolOption('--skip-recreate', 'do not watch Secrets (deleted ones are not re-created)', false))
    .option(
      '--max-unseal-retries <n>',
      'API failures retried in a row before giving up on a SealedSecret',
      '5',
    )
    .option('--log-level <level>', 'trace, debug, info, warn or error (upstream INFO and ERROR too)', 'info')
    .option('--log-format <format>', 'accepted for compatibility: logs are always JSON lines', 'json')
    .option('--listen-addr <host:port>', 'HTTP API address', ':8080')
    .option('--listen-metrics-addr <host:port>', '/metrics (and /healthz, /readyz) address', ':8081')
    .option('--kubeclient-qps <n>', 'API requests per second (client-side limit)', '50')
    .option('--kubeclient-burst <n>', 'API requests allowed beyond --kubeclient-qps at once', '100')
    .addOption(
      boolOption('--leader-elect', 'elect a leader on a Lease: run several replicas, one unseals', false),
    )
    .option('--leader-election-id <name>', 'the Lease’s name', DEFAULT_CONTROLLER_NAME)
    .option(
      '--leader-election-namespace <namespace>',
      'the Lease’s namespace (default: the controller namespace)',
    )
    .option('--leader-elect-lease-duration <duration>', 'how long a lease lasts without renewal', '15s')
    .option(
      '--leader-elect-renew-deadline <duration>',
      'how long the leader tries to renew before it steps down',
      '10s',
    )
    .option('--leader-elect-retry-period <duration>', 'how often candidates try to acquire or renew', '2s')
    .option(
      '--advertise-address <ip>',
      'outside a pod (local control plane): register Service --service-name and its Endpoints at this address, so the API server can proxy to the HTTP API; a real API server refuses loopback Endpoints',
    )
    .option('--service-name <name>', 'the Service kubeseal looks for', DEFAULT_CONTROLLER_NAME)
    .option('--workers <n>', 'SealedSecrets reconciled at once', '4')
    .option('--unseal-workers <n>', 'worker threads for RSA work (default: one per core; 0: none)')
    .action(async (flags: OperatorFlags) => {
      // Before anything starts: V8's heap and malloc are configured when a process starts (docs/adr/0014).
      const { restartWithMemorySettings } = await import('./operator-memory.ts');
      restartWithMemorySettings();
      const { runOperator } = await import('./operator-run.ts');
      await runOperator(flags);
    });
  operator.hook('preAction', (_program, actionCommand) =>
    applyFlagEnvironment(actionCommand, FLAG_ENV_PREFIX, new Set()),
  );

  operator
    .command('crds')
    .summary('print the CustomResourceDefinitions the operator serves')
    .description('Prints the bitnami.com/v1alpha1 SealedSecret CRD as YAML, for `kubectl apply -f -`.')
    .action(async () => {
      const { runPrintCrds } = await import('./operator-run.ts');
      runPrintCrds();
    });
}

/** The flags as `cloak operator` has them when none is given (its declared defaults), for running it embedded. */
export function operatorFlagDefaults(): OperatorFlags {
  const program = new Command();
  registerOperatorCommand(program);
  const operator = program.commands.find((command) => command.name() === 'operator');
  if (!operator) throw new Error('the operator command is not registered');
  return operator.opts<OperatorFlags>();
}
