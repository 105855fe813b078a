/**
 * Runs `cloak operator` (see operator.ts for the flags): checks every flag first (usage errors exit 2 before
 * anything connects), connects, and runs the SealedSecret operator until SIGTERM/SIGINT. Logs are JSON lines
 * on stdout (pino), never with a secret value.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import packageJson from '../../../package.json' with { type: 'json' };
import { parseGoDuration } from '../../common/duration.ts';
import { CloakError, UsageError } from '../../common/errors.ts';
import { toKubeYaml } from '../../manifests/encode.ts';
import { DEFAULT_CONTROLLER_NAMESPACE, KEY_SIZES } from '../../sealing/constants.ts';
import { ApiClient } from '../../operator/runtime/api-client.ts';
import { createLogger, type Logger } from '../../operator/runtime/logger.ts';
import { sealedSecretsCrd } from '../../operator/sealed-secrets/crd.ts';
import {
  KEY_ORDERS,
  parseCutoffTime,
  parseKeyValueList,
  type KeyOrder,
} from '../../operator/sealed-secrets/key-registry.ts';
import {
  runSealedSecretsOperator,
  type Listen,
  type SealedSecretsOperatorOptions,
} from '../../operator/sealed-secrets/operator.ts';
import { loadSealedSecretsTemplateRenderer } from '../../sealing/template-loader.ts';
import type { OperatorFlags } from './operator.ts';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function runPrintCrds(): void {
  process.stdout.write(toKubeYaml(sealedSecretsCrd()));
}

export async function runOperator(flags: OperatorFlags): Promise<void> {
  const settings = operatorSettings(flags);
  const logger = createLogger({ name: 'cloak-operator', level: settings.logLevel });
  const client = await ApiClient.connect(
    {
      kubeconfig: flags.kubeconfig,
      context: flags.context,
      cluster: flags.cluster,
      user: flags.user,
      server: flags.server,
      token: flags.token,
      insecureSkipTlsVerify: flags.insecureSkipTlsVerify,
      certificateAuthority: flags.certificateAuthority,
    },
    { qps: settings.qps, burst: settings.burst },
  );
  process.exitCode = await runWithSettings(settings, client, logger);
}

/**
 * Runs the operator with checked settings on a connected client: `cloak operator`, and `cloak up` in-process
 * (which passes `stop`, handling the signals itself). Resolves the exit status.
 */
export async function runWithSettings(
  settings: OperatorSettings,
  client: ApiClient,
  logger: Logger,
  embedded: { stop?: AbortSignal; started?: (urls: { http: string; metrics: string }) => void } = {},
): Promise<number> {
  return runSealedSecretsOperator(
    {
      ...settings.operator,
      client,
      logger,
      stop: embedded.stop,
      loadTemplateRenderer: loadSealedSecretsTemplateRenderer,
    },
    embedded.started,
  );
}

export interface OperatorSettings {
  operator: Omit<SealedSecretsOperatorOptions, 'client' | 'logger'>;
  logLevel: string;
  qps: number;
  burst: number;
}

/** Every flag checked and converted; a UsageError names the first one that is wrong. */
export function operatorSettings(
  flags: OperatorFlags,
  env: NodeJS.ProcessEnv = process.env,
): OperatorSettings {
  const controllerNamespace = flags.namespace ?? defaultNamespace(env);
  const keyBits = integer(flags.keySize, '--key-size', 0);
  if (!(KEY_SIZES as readonly number[]).includes(keyBits))
    throw new UsageError(`--key-size must be one of ${KEY_SIZES.join(', ')}, not ${keyBits}`);
  const prefix = flags.keyPrefix;
  if (prefix.length > 245 || !/^[a-z0-9-]*$/.test(prefix))
    throw new UsageError(
      `--key-prefix "${prefix}": use at most 245 lower-case letters, digits and dashes (it starts Secret names)`,
    );
  const order = flags.keyOrderPriority as KeyOrder;
  if (!KEY_ORDERS.includes(order))
    throw new UsageError(
      `--key-order-priority must be ${KEY_ORDERS.join(' or ')}, not "${flags.keyOrderPriority}"`,
    );
  const periodMs = parseGoDuration(flags.rotatePeriod ?? flags.keyRenewPeriod, '--key-renew-period');
  if (periodMs < 0) throw new UsageError('--key-renew-period must not be negative');
  const ttlMs = parseGoDuration(flags.keyTtl, '--key-ttl');
  if (ttlMs <= 0) throw new UsageError('--key-ttl must be positive');
  const cutoff = flags.keyCutoffTime ? usage(() => parseCutoffTime(flags.keyCutoffTime ?? '')) : undefined;
  const labels = usage(() => parseKeyValueList(flags.privatekeyLabels ?? '', '--privatekey-labels'));
  const annotations = usage(() =>
    parseKeyValueList(flags.privatekeyAnnotations ?? '', '--privatekey-annotations'),
  );

  const allNamespaces = goBool(flags.allNamespaces, '--all-namespaces');
  const additional = (flags.additionalNamespaces ?? '')
    .split(',')
    .map((namespace) => namespace.trim())
    .filter((namespace, index, all) => namespace !== '' && all.indexOf(namespace) === index);
  const namespaces =
    allNamespaces && additional.length === 0
      ? undefined
      : [controllerNamespace, ...additional.filter((namespace) => namespace !== controllerNamespace)];

  const leaderElect = goBool(flags.leaderElect, '--leader-elect');
  const timings = {
    leaseDurationMs: parseGoDuration(flags.leaderElectLeaseDuration, '--leader-elect-lease-duration'),
    renewDeadlineMs: parseGoDuration(flags.leaderElectRenewDeadline, '--leader-elect-renew-deadline'),
    retryPeriodMs: parseGoDuration(flags.leaderElectRetryPeriod, '--leader-elect-retry-period'),
  };
  if (!(timings.leaseDurationMs > timings.renewDeadlineMs))
    throw new UsageError('--leader-elect-lease-duration must be longer than --leader-elect-renew-deadline');
  if (!(timings.renewDeadlineMs > timings.retryPeriodMs * 1.2))
    throw new UsageError(
      '--leader-elect-renew-deadline must be longer than 1.2 × --leader-elect-retry-period',
    );
  if (flags.advertiseAddress !== undefined && isIP(flags.advertiseAddress) === 0)
    throw new UsageError(`--advertise-address must be an IP address, not "${flags.advertiseAddress}"`);
  const unsealWorkers =
    flags.unsealWorkers === undefined ? undefined : integer(flags.unsealWorkers, '--unseal-workers', 0);
  const logLevel = flags.logLevel.toLowerCase();
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel))
    throw new UsageError(`--log-level must be trace, debug, info, warn or error, not "${flags.logLevel}"`);
  if (!['json', 'text'].includes(flags.logFormat.toLowerCase()))
    throw new UsageError(`--log-format must be json or text, not "${flags.logFormat}"`);
  const rate = integer(flags.rateLimit, '--rate-limit', 1);

  return {
    logLevel,
    qps: integer(flags.kubeclientQps, '--kubeclient-qps', 1),
    burst: integer(flags.kubeclientBurst, '--kubeclient-burst', 1),
    operator: {
      controllerNamespace,
      namespaces,
      labelSelector: flags.labelSelector || undefined,
      keys: {
        prefix,
        bits: keyBits,
        ttlMs,
        commonName: flags.myCn,
        labels,
        annotations,
        order,
        renewal: { periodMs, cutoff },
      },
      acceptV1Data: goBool(flags.acceptDeprecatedV1Data, '--accept-deprecated-v1-data'),
      updateStatus: goBool(flags.updateStatus, '--update-status'),
      skipRecreate: goBool(flags.skipRecreate, '--skip-recreate'),
      maxRetries: integer(flags.maxUnsealRetries, '--max-unseal-retries', 0),
      workers: integer(flags.workers, '--workers', 1),
      unsealWorkers,
      rateLimit: { rate, burst: integer(flags.rateLimitBurst, '--rate-limit-burst', 0) },
      http: listen(flags.listenAddr, '--listen-addr'),
      metricsListen: listen(flags.listenMetricsAddr, '--listen-metrics-addr'),
      ...(leaderElect
        ? {
            leaderElection: {
              namespace: flags.leaderElectionNamespace ?? controllerNamespace,
              name: flags.leaderElectionId,
              identity: `${env['POD_NAME'] || hostname()}_${randomBytes(4).toString('hex')}`,
              timings,
            },
          }
        : {}),
      advertise: flags.advertiseAddress
        ? { address: flags.advertiseAddress, serviceName: flags.serviceName }
        : undefined,
      revision: packageJson.version,
    },
  };
}

/** As upstream: $POD_NAMESPACE, the service account's namespace; then kubeseal's default, kube-system. */
function defaultNamespace(env: NodeJS.ProcessEnv): string {
  if (env['POD_NAMESPACE']) return env['POD_NAMESPACE'];
  try {
    const namespace = readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
    if (namespace) return namespace;
  } catch {
    // Not in a pod.
  }
  return DEFAULT_CONTROLLER_NAMESPACE;
}

function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CloakError && !(error instanceof UsageError)) throw new UsageError(error.message);
    throw error;
  }
}

function integer(value: string, flag: string, minimum: number): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < minimum)
    throw new UsageError(`${flag} must be a whole number of at least ${minimum}, not "${value}"`);
  return Number(value);
}

const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_VALUES = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function goBool(value: string | boolean, flag: string): boolean {
  if (typeof value === 'boolean') return value;
  if (TRUE_VALUES.has(value)) return true;
  if (FALSE_VALUES.has(value)) return false;
  throw new UsageError(`${flag}: invalid boolean "${value}" (use true or false)`);
}

/** ":8080" (every interface), "127.0.0.1:8080", "[::1]:8080"; port 0 picks a free one. */
export function listen(value: string, flag: string): Listen {
  const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65_535)
    throw new UsageError(`${flag} must be [host]:port, e.g. ":8080" or "127.0.0.1:8080", not "${value}"`);
  return { host: match[1] ?? match[2] ?? '', port };
}
