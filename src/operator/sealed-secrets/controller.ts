/**
 * The SealedSecret controller (shell over reconcile.ts): SealedSecrets come from informers (all namespaces
 * or the chosen ones), Secrets from a metadata-only informer (so that a deleted Secret is re-created, and an
 * unchanged one is recognised without decrypting or reading its body). A reconcile unseals on the worker
 * pool, writes the Secret it owns (never one it does not, never deleting one because decryption failed),
 * records the Synced condition, Events and metrics.
 *
 * Retries: a SealedSecret that does not unseal is not retried in a loop; it is tried again when it changes
 * or when the keys do. A foreign Secret in the way is looked at again when that Secret changes. API failures
 * are retried with backoff.
 */
import { CloakError, errorMessage } from '../../common/errors.ts';
import type { Secret } from '../../kube/objects.ts';
import {
  readSealedSecret,
  SEALED_SECRET_API_VERSION,
  type SealedSecret,
  type SecretTemplateRenderer,
} from '../../sealing/sealed-secret.ts';
import { unsealAll } from '../../sealing/unseal.ts';
import { isAlreadyExists, type ApiClient } from '../runtime/api-client.ts';
import { Controller } from '../runtime/controller.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import type { Logger } from '../runtime/logger.ts';
import type { RuntimeMetrics } from '../runtime/metrics.ts';
import { objectKey, SECRETS, splitKey, type KubeObject } from '../runtime/resource.ts';
import { SEALED_SECRETS } from './crd.ts';
import type { SealingKeys } from './keys.ts';
import type { SealedSecretsMetrics } from './metrics.ts';
import {
  conditionValue,
  desiredSecret,
  immutableMessage,
  isImmutableFailure,
  MESSAGE_UNSEALED,
  planSecretWrite,
  type SecretWrite,
  planStatus,
  REASON_UNSEALED,
  REASON_UNSEAL_FAILED,
  REASON_UPDATE_FAILED,
  secretIsCurrent,
  SYNCED_CONDITION,
  unsealFailureMessage,
  unsealInputsHash,
  UNSEALED_FROM_ANNOTATION,
  type SealedSecretStatus,
  type SyncOutcome,
} from './reconcile.ts';

export interface SealedSecretControllerOptions {
  client: ApiClient;
  keys: SealingKeys;
  metrics: SealedSecretsMetrics;
  runtimeMetrics?: RuntimeMetrics;
  events: EventRecorder;
  sealedSecretInformers: readonly Informer<KubeObject>[];
  /** Metadata-only Secrets, one informer per namespace scope; none with --skip-recreate. */
  secretInformers: readonly Informer<KubeObject>[];
  updateStatus: boolean;
  acceptV1Data: boolean;
  /** Give up on API failures of one SealedSecret after this many retries in a row. */
  maxRetries?: number | undefined;
  workers?: number | undefined;
  loadTemplateRenderer?: (() => Promise<SecretTemplateRenderer>) | undefined;
  logger?: Logger | undefined;
  now?: () => Date;
}

interface WrittenStatus {
  uid: string;
  generation: number;
  status: string;
  message: string;
}

export class SealedSecretController {
  readonly controller: Controller;
  readonly #options: SealedSecretControllerOptions;
  readonly #now: () => Date;
  /** The status last written per SealedSecret, so a stale cache does not make it written twice. */
  readonly #written = new Map<string, WrittenStatus>();
  /** SealedSecrets that did not unseal: inputs hash and key version they failed with. */
  readonly #failed = new Map<string, { hash: string; keysVersion: number }>();
  /**
   * The inputs hash of each Secret this controller is creating or just created, per SealedSecret, until the
   * Secret informer reports it: that report is the echo of our own write, not a change to reconcile (as
   * ReplicaSet's "expectations"). Recorded before the request: the report may outrun the create's answer.
   */
  readonly #creating = new Map<string, string>();
  /** What the condition metric was last set for (its labels include a label of the SealedSecret). */
  readonly #observed = new Map<string, KubeObject['metadata']>();

  constructor(options: SealedSecretControllerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.controller = new Controller({
      name: 'sealedsecrets',
      reconcile: (key, signal) => this.reconcile(key, signal),
      workers: options.workers ?? 4,
      maxRetries: options.maxRetries,
      ...(options.runtimeMetrics ? { metrics: options.runtimeMetrics } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    for (const informer of options.sealedSecretInformers)
      this.controller.watch(informer, undefined, { updated: inputsChanged });
    for (const informer of options.secretInformers)
      this.controller.watch(informer, (secret) => this.#sealedSecretFor(secret), {
        added: (secret) => !this.#isOwnCreate(secret),
      });
    // Unsealing needs the keys: wait for them to be listed, and try failed SealedSecrets again when they change.
    this.controller.watch(options.keys.informer, () => []);
    this.controller.watch(options.keys.legacyInformer, () => []);
    options.keys.onChange(() => {
      for (const key of this.#failed.keys()) this.controller.enqueue(key);
    });
  }

  #find(key: string, informers = this.#options.sealedSecretInformers): KubeObject | undefined {
    for (const informer of informers) {
      const object = informer.cache.get(key);
      if (object) return object;
    }
    return undefined;
  }

  #isOwnCreate(secret: KubeObject): boolean {
    const key = objectKey(secret.metadata);
    const hash = this.#creating.get(key);
    if (hash === undefined || secret.metadata.annotations?.[UNSEALED_FROM_ANNOTATION] !== hash) return false;
    this.#creating.delete(key);
    return true;
  }

  #sealedSecretFor(secret: KubeObject): readonly string[] {
    const key = objectKey(secret.metadata);
    return this.#find(key) ? [key] : [];
  }

  async reconcile(key: string, signal: AbortSignal): Promise<void> {
    const object = this.#find(key);
    if (!object) {
      // Deleted: the garbage collector removes the Secret it owns.
      this.#forget(key);
      return;
    }
    const { metrics } = this.#options;
    metrics.unsealRequests.inc();
    const namespace = object.metadata.namespace ?? '';
    let sealed: SealedSecret;
    try {
      sealed = readSealedSecret(
        { ...object, apiVersion: object.apiVersion ?? SEALED_SECRET_API_VERSION, kind: 'SealedSecret' },
        key,
      );
    } catch (error) {
      // Not a readable SealedSecret: said once per version of it.
      const version = `unreadable:${object.metadata.uid ?? ''}:${String(object.metadata.generation ?? 0)}`;
      if (this.#failed.get(key)?.hash === version) return;
      const message = unsealFailureMessage(error, fallbackSealed(object), key, this.#options.keys);
      await this.#unsealFailed(object, key, version, message, signal);
      return;
    }
    const hash = unsealInputsHash(sealed);
    const secretMeta = await this.#secretMetadata(key, namespace);
    if (secretIsCurrent(sealed, hash, secretMeta)) {
      metrics.unsealSkipped.inc();
      this.#failed.delete(key);
      await this.#finish(object, { synced: true }, signal);
      return;
    }
    const failed = this.#failed.get(key);
    if (failed && failed.hash === hash && failed.keysVersion === this.#options.keys.version) return;

    let unsealed: Secret;
    try {
      unsealed = await this.#unseal(sealed, key);
    } catch (error) {
      const message = unsealFailureMessage(error, sealed, key, this.#options.keys);
      await this.#unsealFailed(object, key, hash, message, signal);
      return;
    }
    this.#failed.delete(key);
    if (signal.aborted) return;

    const desired = desiredSecret(unsealed, hash);
    let plan: SecretWrite | undefined;
    try {
      plan = await this.#writeSecret(key, sealed, desired, secretMeta === undefined, signal);
    } catch (error) {
      const text = errorMessage(error);
      if (isImmutableFailure(text)) {
        await this.#updateFailed(object, immutableMessage(key), signal);
        return;
      }
      // Retried with backoff: a conflict or an AlreadyExists means the Secret changed meanwhile.
      await this.#updateFailed(object, text, signal);
      throw error;
    }
    if (!plan) return; // stopped meanwhile
    if (plan.action === 'unmanaged') {
      void this.#options.events.event(object, 'Warning', REASON_UPDATE_FAILED, plan.message);
      metrics.unsealError('unmanaged', namespace);
      await this.#finish(object, { synced: false, message: `failed update: ${plan.message}` }, signal);
      return;
    }
    if (plan.action !== 'unchanged') {
      metrics.secretWrites.inc({ action: plan.action });
      void this.#options.events.event(object, 'Normal', REASON_UNSEALED, MESSAGE_UNSEALED);
    }
    await this.#finish(object, { synced: true }, signal);
  }

  /**
   * Creates or updates the Secret as planned against its live state, and returns the plan carried out. When the
   * Secret informer's cache has no such Secret, the create is tried without reading it first (one request
   * instead of two per new SealedSecret); an AlreadyExists (the cache was behind) falls back to reading it.
   * `undefined` when the reconcile was stopped before writing.
   */
  async #writeSecret(
    key: string,
    sealed: SealedSecret,
    desired: Secret,
    absentFromCache: boolean,
    signal: AbortSignal,
  ): Promise<SecretWrite | undefined> {
    const { client } = this.#options;
    if (absentFromCache && this.#options.secretInformers.length > 0) {
      if (signal.aborted) return undefined;
      const hash = desired.metadata.annotations?.[UNSEALED_FROM_ANNOTATION] ?? '';
      this.#creating.set(key, hash);
      try {
        await client.create(SECRETS, desired as unknown as KubeObject);
        return { action: 'create', secret: desired };
      } catch (error) {
        if (this.#creating.get(key) === hash) this.#creating.delete(key);
        if (!isAlreadyExists(error)) throw error;
      }
    }
    const { namespace, name } = splitKey(key);
    const existing = await client.find<KubeObject>(SECRETS, namespace ?? '', name);
    const plan = planSecretWrite(sealed, desired, existing as unknown as Secret | undefined);
    if (signal.aborted) return undefined;
    if (plan.action === 'create') await client.create(SECRETS, plan.secret as unknown as KubeObject);
    else if (plan.action === 'update') await client.update(SECRETS, plan.secret as unknown as KubeObject);
    return plan;
  }

  /** The Secret's metadata: from the cache, or (--skip-recreate: no Secret informer) read, to spare the RSA work. */
  async #secretMetadata(key: string, namespace: string): Promise<KubeObject['metadata'] | undefined> {
    if (this.#options.secretInformers.length > 0)
      return this.#find(key, this.#options.secretInformers)?.metadata;
    try {
      const secret = await this.#options.client.find<KubeObject>(SECRETS, namespace, splitKey(key).name);
      return secret?.metadata;
    } catch {
      return undefined; // decrypt and read again below, where a failure is reported
    }
  }

  async #unseal(sealed: SealedSecret, where: string): Promise<Secret> {
    if (sealed.spec.data !== undefined && !this.#options.acceptV1Data)
      throw new CloakError(
        'ERR_V1_DATA',
        `${where}: spec.data is the deprecated v1 format, which this controller does not accept (--accept-deprecated-v1-data=false)`,
      );
    const [outcome] = await unsealAll([{ sealed, where }], this.#options.keys.opener, {
      loadTemplateRenderer: this.#options.loadTemplateRenderer,
    });
    if (!outcome) throw new CloakError('ERR_UNSEAL', `${where}: nothing was unsealed`);
    if ('error' in outcome) throw outcome.error;
    return outcome.secret;
  }

  async #unsealFailed(
    object: KubeObject,
    key: string,
    hash: string,
    message: string,
    signal: AbortSignal,
  ): Promise<void> {
    this.#failed.set(key, { hash, keysVersion: this.#options.keys.version });
    void this.#options.events.event(object, 'Warning', REASON_UNSEAL_FAILED, `Failed to unseal: ${message}`);
    this.#options.metrics.unsealError('unseal', object.metadata.namespace ?? '');
    this.#options.logger?.warn({ sealedSecret: key, reason: message }, 'cannot unseal');
    await this.#finish(object, { synced: false, message }, signal);
  }

  async #updateFailed(object: KubeObject, message: string, signal: AbortSignal): Promise<void> {
    void this.#options.events.event(object, 'Warning', REASON_UPDATE_FAILED, message);
    this.#options.metrics.unsealError('update', object.metadata.namespace ?? '');
    await this.#finish(object, { synced: false, message }, signal);
  }

  /** Writes the Synced condition (unless it already says this) and sets the condition metric. */
  async #finish(object: KubeObject, outcome: SyncOutcome, signal: AbortSignal): Promise<void> {
    const key = objectKey(object.metadata);
    const status = outcome.synced ? 'True' : 'False';
    const message = outcome.synced ? '' : outcome.message;
    this.#observed.set(key, object.metadata);
    this.#options.metrics.observeCondition(object.metadata, SYNCED_CONDITION, conditionValue(status));
    if (!this.#options.updateStatus || signal.aborted) return;
    const uid = object.metadata.uid ?? '';
    const generation = object.metadata.generation ?? 0;
    const written = this.#written.get(key);
    if (
      written &&
      written.uid === uid &&
      written.generation === generation &&
      written.status === status &&
      written.message === message
    )
      return;
    const next = planStatus(
      object['status'] as SealedSecretStatus | undefined,
      generation,
      outcome,
      this.#now(),
    );
    if (!next) {
      this.#written.set(key, { uid, generation, status, message });
      return;
    }
    try {
      await this.#options.client.patch(
        SEALED_SECRETS,
        object.metadata.namespace,
        object.metadata.name ?? '',
        { status: next },
        'merge',
        'status',
      );
      this.#written.set(key, { uid, generation, status, message });
    } catch (error) {
      this.#options.metrics.unsealError('status', object.metadata.namespace ?? '');
      this.#options.logger?.error({ sealedSecret: key, err: error }, 'cannot update the SealedSecret status');
    }
  }

  #forget(key: string): void {
    this.#creating.delete(key);
    this.#written.delete(key);
    this.#failed.delete(key);
    const observed = this.#observed.get(key);
    if (observed) this.#options.metrics.forgetCondition(observed, SYNCED_CONDITION);
    this.#observed.delete(key);
  }
}

/** A change worth a reconcile: anything but the status (the controller's own write). A resync counts. */
function inputsChanged(previous: KubeObject, current: KubeObject): boolean {
  if (previous === current) return true;
  const { status: _previousStatus, metadata: previousMeta, ...previousRest } = previous;
  const { status: _currentStatus, metadata: currentMeta, ...currentRest } = current;
  return (
    JSON.stringify(previousRest) !== JSON.stringify(currentRest) ||
    previousMeta.uid !== currentMeta.uid ||
    JSON.stringify(previousMeta.annotations ?? {}) !== JSON.stringify(currentMeta.annotations ?? {}) ||
    JSON.stringify(previousMeta.labels ?? {}) !== JSON.stringify(currentMeta.labels ?? {})
  );
}

/** For messages about an object that is not a readable SealedSecret. */
function fallbackSealed(object: KubeObject): SealedSecret {
  return {
    kind: 'SealedSecret',
    apiVersion: SEALED_SECRET_API_VERSION,
    metadata: object.metadata,
    spec: { encryptedData: {} },
  };
}
