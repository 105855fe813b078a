/**
 * Encryption at rest in the local control plane, as kube-apiserver runs it: `--encryption-provider-config`
 * names an EncryptionConfiguration whose transformer chains wrap every stored value; KMS v2 plugins are dialled
 * over their unix sockets (the same gRPC a real kube-apiserver speaks) and polled for status every minute
 * (every 10 s while unhealthy); with automatic reload a changed file is applied without a restart, and a broken
 * one is reported and ignored (the last good configuration stays in force). The cores are in src/encryption/.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseEncryptionConfiguration, type EncryptionConfiguration } from '../encryption/config.ts';
import type { KmsService } from '../encryption/kms-service.ts';
import {
  encryptionTransformers,
  type EncryptionTransformers,
  type KmsHealth,
  type KmsV2Provider,
} from '../encryption/transformer.ts';
import { connectKms, type KmsClient } from '../kms/grpc.ts';
import type { TransformerSource } from './objects/store.ts';

const HEALTHY_POLL_MS = 60_000;
const UNHEALTHY_POLL_MS = 10_000;
const RELOAD_CHECK_MS = 1_000;

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

  private constructor(path: string, options: EncryptionAtRestOptions, loaded: Loaded) {
    this.#path = path;
    this.#options = options;
    this.#current = loaded;
  }

  /** Reads, validates and applies the file; KMS v2 plugins get their first status poll before this returns. */
  static async load(path: string, options: EncryptionAtRestOptions): Promise<EncryptionAtRest> {
    const loaded = await build(path, options.report);
    const encryption = new EncryptionAtRest(path, options, loaded);
    if (options.automaticReload) encryption.#watch();
    return encryption;
  }

  /** A stable source for the object store that always uses the configuration in force. */
  readonly transformers: TransformerSource = (resource) => this.#current.transformers(resource);

  kmsHealth(): KmsHealth[] {
    return this.#current.transformers.kmsHealth();
  }

  close(): void {
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
    const text = await readFile(this.#path, 'utf8');
    if (text === this.#current.fingerprint) return;
    const next = await build(this.#path, this.#options.report, text);
    const previous = this.#current;
    this.#current = next;
    release(previous);
    this.#options.onReload?.();
  }
}

async function build(
  path: string,
  report: EncryptionAtRestOptions['report'],
  known?: string,
): Promise<Loaded> {
  const text = known ?? (await readConfig(path));
  const config: EncryptionConfiguration = parseEncryptionConfiguration(text, { source: path });
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
  const transformers = encryptionTransformers(config, services);
  // Status is called once at start to prime each plugin's state, then on the poll schedule.
  const pollers = transformers.kmsProviders.map((provider) => new StatusPoller(provider, report));
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

  constructor(provider: KmsV2Provider, report: EncryptionAtRestOptions['report']) {
    this.#provider = provider;
    this.#report = report;
    this.first = this.#run();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #run(): Promise<void> {
    let healthy = false;
    try {
      const health = await this.#provider.probe();
      healthy = health.healthy;
      if (!healthy) this.#report(new Error(health.error ?? 'unhealthy'), `kms provider ${health.name}`);
    } catch (error) {
      this.#report(error, 'kms status poll');
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#run(), healthy ? HEALTHY_POLL_MS : UNHEALTHY_POLL_MS);
    this.#timer.unref();
  }
}

async function readConfig(path: string): Promise<string> {
  await stat(path);
  return readFile(path, 'utf8');
}

function release(loaded: Loaded): void {
  for (const poller of loaded.pollers) poller.stop();
  for (const client of loaded.clients) client.close();
}
