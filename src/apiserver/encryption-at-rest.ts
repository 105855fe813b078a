/**
 * Encryption at rest in the local control plane, as kube-apiserver runs it: `--encryption-provider-config`
 * names an EncryptionConfiguration whose transformer chains wrap every stored value; KMS v2 plugins are dialled
 * over their unix sockets (the same gRPC a real kube-apiserver speaks) and polled for status every minute
 * (every 10 s while unhealthy); with automatic reload a changed file is applied without a restart. As in kube's
 * reload controller, a new configuration only takes effect when it is valid and its KMS plugins answer a healthy
 * status; otherwise the problem is reported once (and retried every 10 s while the file stays as it is) and the
 * last good configuration stays in force. The cores are in src/encryption/.
 */
import { readFile } from 'node:fs/promises';
import { CloakError, errorMessage } from '../common/errors.ts';
import { parseEncryptionConfiguration, type EncryptionConfiguration } from '../encryption/config.ts';
import { EncryptionConfigError } from '../encryption/errors.ts';
import type { KmsService } from '../encryption/kms-service.ts';
import {
  encryptionTransformers,
  type EncryptionTransformers,
  type KmsHealth,
  type KmsV2Provider,
} from '../encryption/transformer.ts';
import { connectKms, type KmsClient } from '../kms/grpc.ts';
import type { TransformerSource } from './objects/store.ts';
import { describeFsError } from '../common/fs-errors.ts';

const HEALTHY_POLL_MS = 60_000;
const UNHEALTHY_POLL_MS = 10_000;
/** `kmsPluginHealthzPositiveTTL` and `…NegativeTTL`: how long a healthz answer is reused. */
const HEALTHZ_POSITIVE_TTL_MS = 20_000;
const HEALTHZ_NEGATIVE_TTL_MS = 3_000;
const RELOAD_CHECK_MS = 1_000;
/** How soon a rejected file that has not changed is tried again (a KMS plugin may have come back). */
const RELOAD_RETRY_MS = 10_000;

export interface EncryptionAtRestOptions {
  automaticReload: boolean;
  report: (error: unknown, where: string) => void;
  /** Told after a reloaded configuration took effect. */
  onReload?: () => void;
}

interface Loaded {
  transformers: EncryptionTransformers;
  clients: KmsClient[];
  pollers: StatusPoller[];
  fingerprint: string;
}

export class EncryptionAtRest {
  readonly #path: string;
  readonly #options: EncryptionAtRestOptions;
  #current: Loaded;
  #reloadTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** The last rejected reload: what the file held (undefined: unreadable), when, and what was reported. */
  #rejected: { text: string | undefined; at: number; message: string } | undefined;

  private constructor(path: string, options: EncryptionAtRestOptions, loaded: Loaded) {
    this.#path = path;
    this.#options = options;
    this.#current = loaded;
  }

  /** Reads, validates and applies the file; KMS v2 plugins get their first status poll before this returns. */
  static async load(path: string, options: EncryptionAtRestOptions): Promise<EncryptionAtRest> {
    const loaded = await build(path, options, true);
    const encryption = new EncryptionAtRest(path, options, loaded);
    if (options.automaticReload) encryption.#watch();
    return encryption;
  }

  /** A stable source for the object store that always uses the configuration in force. */
  readonly transformers: TransformerSource = (resource) => this.#current.transformers(resource);

  kmsHealth(): KmsHealth[] {
    return this.#current.transformers.kmsHealth();
  }

  /**
   * The `kms-providers` health check as kube-apiserver runs it: each plugin's Status is asked again once the
   * last answer is older than 20 s (3 s after a failure), besides the background poll.
   */
  async checkKmsHealth(now = Date.now()): Promise<KmsHealth[]> {
    return Promise.all(
      this.#current.transformers.kmsProviders.map(async (provider) => {
        const last = provider.health();
        const ttl = last.healthy ? HEALTHZ_POSITIVE_TTL_MS : HEALTHZ_NEGATIVE_TTL_MS;
        if (last.checkedAt !== undefined && now - last.checkedAt < ttl) return last;
        // A failed probe is recorded in the provider's health, which is what this check reports.
        await provider.probe().catch(() => undefined);
        return provider.health();
      }),
    );
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#reloadTimer);
    release(this.#current);
  }

  #watch(): void {
    let checking = false;
    this.#reloadTimer = setInterval(() => {
      if (checking) return;
      checking = true;
      this.#reloadIfChanged()
        .catch((error: unknown) => this.#options.report(error, 'encryption configuration reload'))
        .finally(() => (checking = false));
    }, RELOAD_CHECK_MS);
    this.#reloadTimer.unref();
  }

  async #reloadIfChanged(): Promise<void> {
    let text: string;
    try {
      text = await readConfig(this.#path);
    } catch (error) {
      this.#reject(undefined, error);
      return;
    }
    if (text === this.#current.fingerprint) {
      this.#rejected = undefined;
      return;
    }
    const rejected = this.#rejected;
    if (rejected?.text === text && Date.now() - rejected.at < RELOAD_RETRY_MS) return;
    let next: Loaded;
    try {
      next = await build(this.#path, this.#options, false, text);
    } catch (error) {
      this.#reject(text, error);
      return;
    }
    if (this.#closed) {
      release(next);
      return;
    }
    // kube's reload controller swaps in a new configuration only once its KMS plugins are healthy.
    const unhealthy = next.transformers.kmsHealth().filter((health) => !health.healthy);
    if (unhealthy.length > 0) {
      release(next);
      const problems = unhealthy.map(
        (health) => health.error ?? `kms provider ${JSON.stringify(health.name)} is not healthy`,
      );
      this.#reject(text, new EncryptionConfigError(this.#path, problems));
      return;
    }
    this.#rejected = undefined;
    const previous = this.#current;
    this.#current = next;
    release(previous);
    this.#options.onReload?.();
  }

  /** Reports a rejected reload once per file content and problem; the configuration in force stays. */
  #reject(text: string | undefined, error: unknown): void {
    const message = errorMessage(error);
    const previous = this.#rejected;
    this.#rejected = { text, at: Date.now(), message };
    if (previous !== undefined && previous.text === text && previous.message === message) return;
    const code = error instanceof CloakError ? error.code : 'ERR_ENCRYPTION_CONFIG';
    this.#options.report(
      new CloakError(code, `${message} (not applied; the previous configuration stays in force)`),
      'encryption configuration reload',
    );
  }
}

async function build(
  path: string,
  options: EncryptionAtRestOptions,
  starting: boolean,
  known?: string,
): Promise<Loaded> {
  const text = known ?? (await readConfig(path));
  const config: EncryptionConfiguration = parseEncryptionConfiguration(text, {
    source: path,
    reload: options.automaticReload,
  });
  const clients: KmsClient[] = [];
  const endpoints = new Map(
    config.resources.flatMap((entry) =>
      entry.providers.flatMap((provider) =>
        provider.type === 'kms' ? [[provider.name, provider] as const] : [],
      ),
    ),
  );
  const services = (name: string): KmsService => {
    const provider = endpoints.get(name);
    if (!provider) throw new Error(`no kms provider named ${name}`);
    const client = connectKms(provider.endpoint, { timeoutMs: provider.timeoutMs });
    clients.push(client);
    return client;
  };
  let transformers: EncryptionTransformers;
  try {
    transformers = encryptionTransformers(config, services);
  } catch (error) {
    for (const client of clients) client.close();
    throw error;
  }
  // Status is called once at start to prime each plugin's state, then on the poll schedule. A reload reports
  // a failed first poll itself (it rejects the new configuration).
  const pollers = transformers.kmsProviders.map(
    (provider) => new StatusPoller(provider, options.report, starting),
  );
  await Promise.all(pollers.map((poller) => poller.first));
  return { transformers, clients, pollers, fingerprint: text };
}

/** kube-apiserver's KMS v2 status poll: every minute while healthy, every 10 seconds while not. */
class StatusPoller {
  readonly first: Promise<void>;
  readonly #provider: KmsV2Provider;
  readonly #report: EncryptionAtRestOptions['report'];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(provider: KmsV2Provider, report: EncryptionAtRestOptions['report'], reportFirst: boolean) {
    this.#provider = provider;
    this.#report = report;
    this.first = this.#run(reportFirst);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #run(reportFailure = true): Promise<void> {
    let healthy = false;
    try {
      const health = await this.#provider.probe();
      healthy = health.healthy;
      if (!healthy && reportFailure && !this.#stopped)
        this.#report(new Error(health.error ?? 'unhealthy'), `kms provider ${health.name}`);
    } catch (error) {
      if (reportFailure && !this.#stopped) this.#report(error, 'kms status poll');
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#run(), healthy ? HEALTHY_POLL_MS : UNHEALTHY_POLL_MS);
    this.#timer.unref();
  }
}

async function readConfig(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new EncryptionConfigError(path, [`cannot read the file: ${describeFsError(error)}`]);
  }
}

function release(loaded: Loaded): void {
  for (const poller of loaded.pollers) poller.stop();
  for (const client of loaded.clients) client.close();
}
