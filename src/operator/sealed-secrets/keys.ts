/**
 * The controller's sealing keys at run time (shell over key-registry.ts): informers on the key Secrets of
 * the controller namespace (so keys added, relabelled or removed at run time take effect without a
 * restart), the keyring unsealing uses, the pool of worker threads that does the RSA work with it, and key
 * generation (written first, used once written). A key Secret that cannot be read is logged once per
 * version and skipped.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Secret, StringMap } from '../../kube/objects.ts';
import { generateSealingKey, keySecret } from '../../sealing/keygen.ts';
import { Keyring } from '../../sealing/keyring.ts';
import { UnsealPool } from '../../sealing/unseal-pool.ts';
import { inThreadOpener, type OpenRequest, type OpenResult, type ValueOpener } from '../../sealing/unseal.ts';
import type { ApiClient } from '../runtime/api-client.ts';
import { Controller } from '../runtime/controller.ts';
import { Informer } from '../runtime/informer.ts';
import type { Logger } from '../runtime/logger.ts';
import type { RuntimeMetrics } from '../runtime/metrics.ts';
import { SECRETS, type KubeObject } from '../runtime/resource.ts';
import {
  readKeySecrets,
  renewalDue,
  RenewalSchedule,
  SEALING_KEY_LABEL,
  sealingKeyOf,
  sortNewestFirst,
  type ControllerKey,
  type KeyOrder,
  type RenewalPolicy,
} from './key-registry.ts';
import type { SealedSecretsMetrics } from './metrics.ts';
import { X509Certificate } from 'node:crypto';

export type KeyTrigger = 'initial' | 'cutoff' | 'renewal' | 'signal' | 'api';

export interface SealingKeysOptions {
  client: ApiClient;
  /** The controller namespace, where key Secrets live. */
  namespace: string;
  prefix: string;
  keyBits: number;
  keyTtlMs: number;
  commonName: string;
  keyLabels?: StringMap;
  keyAnnotations?: StringMap;
  order: KeyOrder;
  /** Worker threads for RSA work; 0 opens values on the event loop (tests, tiny installations). */
  unsealWorkers?: number;
  metrics: SealedSecretsMetrics;
  logger?: Logger | undefined;
  now?: () => Date;
}

interface PoolSlot {
  opener: ValueOpener & { close?: () => Promise<void> };
  version: number;
  inFlight: number;
  retired: boolean;
}

export class SealingKeys {
  /** Secrets labelled as sealing keys (any value: a relabelled key must drop out). */
  readonly informer: Informer<KubeObject>;
  /** The pre-0.9 key Secret, named exactly after the prefix. */
  readonly legacyInformer: Informer<KubeObject>;
  readonly #options: SealingKeysOptions;
  readonly #now: () => Date;
  #keys: ControllerKey[] = [];
  /** Keys generated here that the informer has not delivered yet. */
  #generated: ControllerKey[] = [];
  #fingerprints = '';
  #version = 0;
  #dirty = true;
  readonly #listeners: (() => void)[] = [];
  readonly #reported = new Map<string, string>();
  #slot: PoolSlot | undefined;
  #generating: Promise<unknown> = Promise.resolve();

  constructor(options: SealingKeysOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    const common = {
      client: options.client,
      type: SECRETS,
      namespace: options.namespace,
      logger: options.logger,
    };
    this.informer = new Informer<KubeObject>({ ...common, labelSelector: SEALING_KEY_LABEL });
    this.legacyInformer = new Informer<KubeObject>({
      ...common,
      fieldSelector: `metadata.name=${options.prefix}`,
    });
    const changed = (): void => {
      this.#dirty = true;
      queueMicrotask(() => this.#refresh());
    };
    for (const informer of [this.informer, this.legacyInformer])
      informer.on({ add: changed, update: changed, delete: changed });
  }

  /** Bumped whenever the set of usable keys changes. */
  get version(): number {
    this.#refresh();
    return this.#version;
  }

  /** Usable keys, newest first. */
  get keys(): readonly ControllerKey[] {
    this.#refresh();
    return this.#keys;
  }

  get size(): number {
    return this.keys.length;
  }

  has(fingerprint: string): boolean {
    return this.keys.some((key) => key.fingerprint === fingerprint);
  }

  /** The key that seals (newest with a certificate). */
  sealingKey(): ControllerKey | undefined {
    return sealingKeyOf(this.keys);
  }

  /** Called (after the change) whenever the usable keys change. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Opens values with the current keys, on the worker pool; counts the RSA operations spent. */
  readonly opener: ValueOpener = {
    open: async (requests: readonly OpenRequest[]): Promise<OpenResult[]> => {
      const slot = this.#currentSlot();
      slot.inFlight++;
      try {
        const results = await slot.opener.open(requests);
        let operations = 0;
        for (const result of results) operations += result.rsaOperations;
        if (operations > 0) this.#options.metrics.rsaOperations.inc(operations);
        return results;
      } finally {
        slot.inFlight--;
        if (slot.retired && slot.inFlight === 0) void slot.opener.close?.();
      }
    },
  };

  /**
   * Generates a key, writes its Secret (generateName, the label, --privatekey-labels/annotations) and starts
   * using it. Generations never overlap.
   */
  generate(trigger: KeyTrigger): Promise<ControllerKey> {
    const run = this.#generating.then(() => this.#generate(trigger));
    this.#generating = run.catch(() => undefined);
    return run;
  }

  async #generate(trigger: KeyTrigger): Promise<ControllerKey> {
    const { client, namespace, prefix, keyBits, keyTtlMs, commonName, logger } = this.#options;
    const now = this.#now();
    const generated = await generateSealingKey({ bits: keyBits, commonName, validityMs: keyTtlMs, now });
    const secret = keySecret(generated, {
      namespace,
      prefix,
      labels: this.#options.keyLabels,
      annotations: this.#options.keyAnnotations,
    });
    const written = await client.create<KubeObject>(SECRETS, secret as unknown as KubeObject);
    const key: ControllerKey = {
      privateKey: generated.privateKey,
      fingerprint: generated.fingerprint,
      createdAt: now,
      source: `key Secret ${written.metadata.name ?? ''}`,
      certificatePem: generated.certificatePem,
      secretName: written.metadata.name ?? '',
      // As it reads back from the Secret (certificate times have whole seconds), so the order never changes.
      orderingTime: this.#options.order === 'CertNotBefore' ? generated.notBefore : timeOf(written, now),
      certificate: new X509Certificate(generated.certificatePem),
      resourceVersion: written.metadata.resourceVersion,
    };
    this.#generated.push(key);
    this.#dirty = true;
    this.#refresh();
    this.#options.metrics.keyGenerations.inc({ trigger });
    logger?.info(
      { namespace, secret: key.secretName, fingerprint: key.fingerprint, trigger },
      'new sealing key written',
    );
    return key;
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    const slot = this.#slot;
    this.#slot = undefined;
    await slot?.opener.close?.();
  }

  #currentSlot(): PoolSlot {
    const version = this.version;
    if (this.#slot?.version === version) return this.#slot;
    const previous = this.#slot;
    if (previous) {
      previous.retired = true;
      if (previous.inFlight === 0) void previous.opener.close?.();
    }
    const workers = this.#options.unsealWorkers ?? availableParallelism();
    const opener =
      workers > 0 && this.#keys.length > 0
        ? new UnsealPool(this.#keys, workers)
        : inThreadOpener(new Keyring(this.#keys));
    this.#slot = { opener, version, inFlight: 0, retired: false };
    return this.#slot;
  }

  #refresh(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const secrets = [
      ...this.informer.cache.list(),
      ...this.legacyInformer.cache.list(),
    ] as unknown as Secret[];
    const { keys, malformed } = readKeySecrets(secrets, this.#options.prefix, this.#options.order);
    this.#reportMalformed(secrets, malformed);
    const known = new Set(keys.map((key) => key.fingerprint));
    this.#generated = this.#generated.filter((key) => !known.has(key.fingerprint));
    this.#keys = sortNewestFirst([...keys, ...this.#generated]);
    this.#options.metrics.keys.set(this.#keys.length);
    this.#options.metrics.malformedKeys.set(malformed.length);
    const fingerprints = this.#keys.map((key) => key.fingerprint).join(',');
    if (fingerprints === this.#fingerprints) return;
    this.#fingerprints = fingerprints;
    this.#version++;
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (error) {
        this.#options.logger?.error({ err: error }, 'a key change listener failed');
      }
    }
  }

  #reportMalformed(
    secrets: readonly Secret[],
    malformed: readonly { secretName: string; reason: string }[],
  ): void {
    const versions = new Map(
      secrets.map((secret) => [secret.metadata.name ?? '', secret.metadata.resourceVersion ?? '']),
    );
    const current = new Set<string>();
    for (const { secretName, reason } of malformed) {
      current.add(secretName);
      const version = versions.get(secretName) ?? '';
      if (this.#reported.get(secretName) === version) continue;
      this.#reported.set(secretName, version);
      this.#options.logger?.error(
        { namespace: this.#options.namespace, secret: secretName, reason },
        'cannot read a sealing key Secret; skipping it',
      );
    }
    for (const name of this.#reported.keys()) if (!current.has(name)) this.#reported.delete(name);
  }
}

function timeOf(object: KubeObject, fallback: Date): Date {
  const created = object.metadata.creationTimestamp ? new Date(object.metadata.creationTimestamp) : fallback;
  return Number.isNaN(created.getTime()) ? fallback : created;
}

/** The public half of a key, for sealing. */
export function publicKeyOf(key: ControllerKey): KeyObject {
  return createPublicKey(key.privateKey);
}

export interface KeyRenewalOptions {
  keys: SealingKeys;
  policy: RenewalPolicy;
  metrics?: RuntimeMetrics;
  logger?: Logger | undefined;
  now?: () => Date;
}

const RENEW_KEY = 'renew';

/**
 * Key renewal, on the leader only: a controller with one item. It looks once the key Secrets are listed and
 * again whenever they change: a key is generated when there is none, when the newest predates the cutoff (once), or
 * when it is a renewal period old; otherwise it looks again when the next one is due.
 */
export function keyRenewalController(options: KeyRenewalOptions): Controller {
  const now = options.now ?? (() => new Date());
  const schedule = new RenewalSchedule(options.policy);
  const controller = new Controller({
    name: 'sealing-key-renewal',
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    reconcile: async (_key, signal) => {
      const newest = options.keys.sealingKey() ?? options.keys.keys[0];
      const decision = schedule.decide(newest?.orderingTime, now());
      if (decision.generate && !signal.aborted) {
        await options.keys.generate(decision.generate);
        schedule.generated();
        const next = renewalDue(now(), now(), options.policy).nextCheckMs;
        return next === undefined ? undefined : { requeueAfterMs: next };
      }
      return decision.nextCheckMs === undefined ? undefined : { requeueAfterMs: decision.nextCheckMs };
    },
  });
  const all = (): readonly string[] => [RENEW_KEY];
  controller.watch(options.keys.informer, all);
  controller.watch(options.keys.legacyInformer, all);
  controller.enqueue(RENEW_KEY);
  return controller;
}
