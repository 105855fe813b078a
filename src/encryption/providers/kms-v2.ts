/**
 * KMS v2 (`k8s:enc:kms:v2:<name>:`), as kube-apiserver 1.32 writes and reads it (envelope/kmsv2/envelope.go,
 * aes/aes_extended_nonce.go, encryptionconfig/config.go):
 *
 * - Write state: one 32-byte random seed per key ID, encrypted once by the plugin (`Encrypt`). Every write then
 *   draws `info` (32 random bytes), derives `DEK = HKDF-Expand(SHA-256, PRK = seed, info, 32)` (no Extract),
 *   and stores `EncryptedObject{encryptedData = info ‖ nonce[12] ‖ AES-256-GCM(plain, AAD = etcd key) ‖ tag,
 *   keyID, encryptedDEKSource = the encrypted seed, annotations, type = HKDF_SHA256_XNONCE_AES_GCM_SEED}`.
 *   So a key rotation costs one plugin call, and a write none.
 * - The status poll (`probe`): Status must say healthz "ok", version v2 (or v2beta1, never changing) and a valid
 *   key ID. The same key ID extends the write state's life to 3 minutes from the poll; a new one makes a new
 *   seed, accepted only if Encrypt answers with that same key ID. A failed poll leaves the state as it is:
 *   writes go on until it expires, then fail; reads go on.
 * - Reads: the EncryptedObject is validated, its DEK source looked up in a cache of decrypted seeds/DEKs (keyed
 *   by type, encrypted source, key ID and annotations; 24 h) and otherwise decrypted by the plugin (once, however
 *   many reads wait for it). Both the seed type and the older AES_GCM_KEY type (a DEK used directly, nonce ‖ ct
 *   ‖ tag) are read. A value is stale when its key ID or type differs from the write state's.
 *
 * Kube polls Status in the background every minute (every 10 s while unhealthy). A pure core owns no timer:
 * the server calls `probe()` on that schedule, and a write that finds the last poll older than that runs one
 * first, so the schedule holds even without the server's timer.
 */
import { createHash, type CipherGCMTypes, type KeyObject } from 'node:crypto';
import type { KmsService } from '../kms-service.ts';
import { describeCause, ProviderError } from '../errors.ts';
import type { Maybe, Read, Transformer } from '../prefix.ts';
import {
  gcmAlgorithm,
  gcmOpen,
  gcmSealedSize,
  gcmSealInto,
  hkdfSha256ExpandOneBlock,
  secretKey,
  type RandomFill,
} from './ciphers.ts';
import {
  DEK_SOURCE_HKDF_SHA256_XNONCE_AES_GCM_SEED,
  dekCacheKey,
  decodeEncryptedObject,
  encodeEncryptedObjectTail,
  validateEncryptedObject,
  validateKeyId,
  type EncryptedObject,
} from './encrypted-object.ts';
import { allocateOutput, authenticatedData } from './local.ts';

/** `kmsv2PluginWriteDEKSourceMaxTTL`: how long a write state lives after the last healthy poll. */
export const KMS_V2_WRITE_STATE_TTL_MS = 3 * 60_000;
/** `kmsv2PluginHealthzPositiveInterval` and `…NegativeInterval`: the status poll's schedule. */
export const KMS_V2_POLL_INTERVAL_MS = 60_000;
export const KMS_V2_RETRY_INTERVAL_MS = 10_000;
/** How long decrypted seeds/DEKs are kept (`cacheTTL` in kmsv2/envelope.go). */
export const KMS_V2_DEK_CACHE_TTL_MS = 24 * 3_600_000;

export const SEED_SIZE = 32;
const INFO_SIZE = 32;
const SWEEP_INTERVAL_MS = 60_000;

export interface KmsV2Options {
  now: () => number;
  random: RandomFill;
}

/** What `/healthz/kms-provider-<n>` reports, without any key material. */
export interface KmsHealth {
  name: string;
  healthy: boolean;
  /** `sha256:<hex>` of the key ID values are written with (kube logs key IDs hashed). */
  keyIdHash?: string | undefined;
  /** Until when writes may go on without another healthy poll (ms since the epoch). */
  writableUntil?: number | undefined;
  /** The last poll's problem, when it failed. */
  error?: string | undefined;
  /** When the last poll started (ms since the epoch). */
  checkedAt?: number | undefined;
}

interface WriteState {
  keyId: string;
  seed: KeyObject;
  reader: SeedReader;
  /** Fields 2–5 of every EncryptedObject written with this seed. */
  tail: Uint8Array;
  cacheKey: string;
  expiresAt: number;
}

/** Opens `encryptedData` with a decrypted seed or DEK. */
interface DekReader {
  open(encryptedData: Uint8Array, key: string): Uint8Array;
}

export function keyIdHash(keyId: string): string {
  return keyId === '' ? '' : `sha256:${createHash('sha256').update(keyId).digest('hex')}`;
}

export class KmsV2Provider implements Transformer {
  readonly name: string;
  readonly #service: KmsService;
  readonly #now: () => number;
  readonly #random: RandomFill;
  readonly #label: string;

  #state: WriteState | undefined;
  /** The API version of the plugin's first status answer: it may not change afterwards. */
  #version: string | undefined;
  #probing: Promise<KmsHealth> | undefined;
  #lastProbe: { at: number; error: string | undefined } | undefined;

  readonly #readers = new Map<string, { reader: DekReader; expiresAt: number }>();
  readonly #decrypting = new Map<string, Promise<DekReader>>();
  #lastLookup: { object: EncryptedObject; cacheKey: string } | undefined;
  #sweptAt = 0;

  constructor(name: string, service: KmsService, options: KmsV2Options) {
    this.name = name;
    this.#service = service;
    this.#now = options.now;
    this.#random = options.random;
    this.#label = `kms provider ${JSON.stringify(name)}`;
  }

  health(): KmsHealth {
    const state = this.#state;
    const last = this.#lastProbe;
    return {
      name: this.name,
      healthy: last !== undefined && last.error === undefined && state !== undefined,
      keyIdHash: state && keyIdHash(state.keyId),
      writableUntil: state?.expiresAt,
      error: last?.error ?? (last === undefined ? 'no status check has run yet' : undefined),
      checkedAt: last?.at,
    };
  }

  /**
   * One status poll (`kmsv2PluginProbe.check`), rotating the seed when the key ID changed. Concurrent calls
   * share one poll. Rejects with the poll's problems; the write state is kept either way.
   */
  probe(): Promise<KmsHealth> {
    this.#probing ??= this.#poll().finally(() => {
      this.#probing = undefined;
    });
    return this.#probing;
  }

  async #poll(): Promise<KmsHealth> {
    const startedAt = this.#now();
    // As kube: the expiry is counted from before the plugin is called.
    const expiresAt = startedAt + KMS_V2_WRITE_STATE_TTL_MS;
    const problems: string[] = [];
    try {
      let status;
      try {
        status = await this.#service.status();
      } catch (error) {
        problems.push(`status call failed: ${describeCause(error)}`);
        return this.#finishPoll(startedAt, problems);
      }
      if (status.healthz !== 'ok')
        problems.push(`got unexpected healthz status: ${describeCause(status.healthz)}`);
      if (status.version !== 'v2' && status.version !== 'v2beta1') {
        problems.push(`expected KMSv2 API version v2, got ${describeCause(status.version)}`);
      } else {
        this.#version ??= status.version;
        if (this.#version !== status.version) {
          problems.push(
            `KMSv2 API version should not change after the initial status response version ${this.#version}, got ${status.version}`,
          );
        }
      }
      const keyIdProblem = validateKeyId(status.keyId);
      if (keyIdProblem !== undefined) {
        problems.push(
          `got invalid KMSv2 KeyID hash ${JSON.stringify(keyIdHash(status.keyId))}: ${keyIdProblem}`,
        );
      } else {
        const rotation = await this.#rotateOnKeyIdChange(status.keyId, expiresAt);
        if (rotation !== undefined) problems.push(rotation);
      }
    } catch (error) {
      problems.push(describeCause(error));
    }
    return this.#finishPoll(startedAt, problems);
  }

  #finishPoll(startedAt: number, problems: readonly string[]): KmsHealth {
    const error = problems.length > 0 ? `${this.#label} is not healthy: ${problems.join('; ')}` : undefined;
    this.#lastProbe = { at: startedAt, error };
    if (error !== undefined) throw new ProviderError('ERR_KMS_PLUGIN', error);
    return this.health();
  }

  /** `rotateDEKOnKeyIDChange`: the problem, or undefined when the state is (still) good. */
  async #rotateOnKeyIdChange(statusKeyId: string, expiresAt: number): Promise<string | undefined> {
    const current = this.#state;
    if (current !== undefined && current.keyId === statusKeyId) {
      current.expiresAt = expiresAt;
      return undefined;
    }
    const seed = Buffer.allocUnsafe(SEED_SIZE);
    this.#random(seed);
    try {
      let response;
      try {
        // The plugin gets its own copy: ours is wiped once it is a KeyObject.
        response = await this.#service.encrypt(Buffer.from(seed), this.#uid());
      } catch (error) {
        return `failed to rotate DEK: failed to encrypt DEK, error: ${describeCause(error)}`;
      }
      const annotations = annotationMap(response.annotations);
      const object: EncryptedObject = {
        encryptedData: Uint8Array.of(0), // any non-empty value passes validation
        keyId: response.keyId,
        encryptedDekSource: Uint8Array.from(response.ciphertext),
        annotations,
        dekSourceType: DEK_SOURCE_HKDF_SHA256_XNONCE_AES_GCM_SEED,
      };
      const invalid = validateEncryptedObject(object);
      if (invalid !== undefined)
        return `failed to rotate DEK: the plugin's Encrypt answer is invalid: ${invalid}`;
      if (response.keyId !== statusKeyId) {
        return `failed to rotate DEK: Encrypt answered with key ID hash ${JSON.stringify(keyIdHash(response.keyId))}, Status with ${JSON.stringify(keyIdHash(statusKeyId))}`;
      }
      const seedKey = secretKey(seed);
      const reader = new SeedReader(seedKey);
      const cacheKey = dekCacheKey(
        object.dekSourceType,
        object.encryptedDekSource,
        object.keyId,
        annotations,
      ).toString('latin1');
      this.#state = {
        keyId: response.keyId,
        seed: seedKey,
        reader,
        tail: encodeEncryptedObjectTail(
          object.keyId,
          object.encryptedDekSource,
          annotations,
          object.dekSourceType,
        ),
        cacheKey,
        expiresAt,
      };
      // Our own writes never need the plugin to be read back.
      this.#remember(cacheKey, reader);
      return undefined;
    } finally {
      seed.fill(0);
    }
  }

  #pollDue(now: number): boolean {
    const last = this.#lastProbe;
    if (last === undefined) return true;
    return now - last.at >= (last.error === undefined ? KMS_V2_POLL_INTERVAL_MS : KMS_V2_RETRY_INTERVAL_MS);
  }

  /** Runs the poll if it is due (or there is no state yet and none is running), never rejecting. */
  #pollIfDue(): Promise<unknown> | undefined {
    const now = this.#now();
    if (this.#probing !== undefined)
      return this.#state === undefined ? this.#probing.catch(() => undefined) : undefined;
    if (!this.#pollDue(now)) return undefined;
    return this.probe().catch(() => undefined);
  }

  toStorage(plain: Uint8Array, key: string, reserve: number): Maybe<Uint8Array> {
    if (key === '')
      throw new ProviderError('ERR_ENCRYPTION_WRITE', `${this.#label}: the etcd key (the AAD) is empty`);
    const polling = this.#pollIfDue();
    if (polling !== undefined) return polling.then(() => this.#write(plain, key, reserve));
    return this.#write(plain, key, reserve);
  }

  #write(plain: Uint8Array, key: string, reserve: number): Uint8Array {
    const state = this.#state;
    const now = this.#now();
    if (state === undefined) {
      const why = this.#lastProbe?.error ?? 'no status check has run yet';
      throw new ProviderError('ERR_KMS_PLUGIN', `${this.#label} has no DEK seed to encrypt with: ${why}`);
    }
    if (now > state.expiresAt) {
      const why = this.#lastProbe?.error ? `: ${this.#lastProbe.error}` : '';
      throw new ProviderError(
        'ERR_ENCRYPTION_WRITE',
        `${this.#label}: the DEK seed for key ID hash ${JSON.stringify(keyIdHash(state.keyId))} expired at ${new Date(state.expiresAt).toISOString()} (no healthy status check since)${why}`,
      );
    }
    // Seen by reads as a fresh cache entry (kube re-adds the write transformer on every write).
    const cached = this.#readers.get(state.cacheKey);
    if (cached === undefined || cached.expiresAt - now < KMS_V2_DEK_CACHE_TTL_MS / 2) {
      this.#remember(state.cacheKey, state.reader);
    }

    // EncryptedObject field 1 (encryptedData = info ‖ nonce ‖ ciphertext ‖ tag), then the state's fields 2–5.
    const dataSize = INFO_SIZE + gcmSealedSize(plain.length);
    const headerSize = 1 + varintSize(dataSize);
    const out = allocateOutput(reserve, headerSize + dataSize + state.tail.length);
    out[reserve] = 0x0a;
    const dataAt = writeVarint(out, reserve + 1, dataSize);
    const info = out.subarray(dataAt, dataAt + INFO_SIZE);
    this.#random(info);
    const dek = secretKey(hkdfSha256ExpandOneBlock(state.seed, info));
    gcmSealInto('aes-256-gcm', dek, out, dataAt + INFO_SIZE, plain, authenticatedData(key), this.#random);
    out.set(state.tail, dataAt + dataSize);
    return out;
  }

  fromStorage(data: Uint8Array, key: string): Maybe<Read> {
    if (key === '')
      throw new ProviderError('ERR_ENCRYPTION_DECRYPT', `${this.#label}: the etcd key (the AAD) is empty`);
    let object: EncryptedObject;
    try {
      object = decodeEncryptedObject(data);
    } catch (error) {
      throw this.#corrupt(describeCause(error));
    }
    const invalid = validateEncryptedObject(object);
    if (invalid !== undefined) throw this.#corrupt(invalid);

    if (this.#state === undefined) {
      const polling = this.#pollIfDue() ?? Promise.resolve();
      return polling.then(() => this.#read(object, key));
    }
    return this.#read(object, key);
  }

  #read(object: EncryptedObject, key: string): Maybe<Read> {
    const state = this.#state;
    if (state === undefined) {
      // As kube: without a write state, reads cannot tell stale values and fail.
      const why = this.#lastProbe?.error ?? 'no status check has run yet';
      throw new ProviderError('ERR_KMS_PLUGIN', `${this.#label} is not ready: ${why}`);
    }
    const stale =
      object.keyId !== state.keyId || object.dekSourceType !== DEK_SOURCE_HKDF_SHA256_XNONCE_AES_GCM_SEED;
    const cacheKey = this.#cacheKeyOf(object);
    const now = this.#now();
    const cached = this.#readers.get(cacheKey);
    if (cached !== undefined && cached.expiresAt > now) {
      return { value: this.#open(cached.reader, object, key), stale };
    }
    return this.#decryptDek(cacheKey, object).then((reader) => ({
      value: this.#open(reader, object, key),
      stale,
    }));
  }

  /** The DEK cache key of `object`; consecutive values (almost always) share it, so the last one is kept. */
  #cacheKeyOf(object: EncryptedObject): string {
    const last = this.#lastLookup;
    if (last !== undefined && sameDekSource(last.object, object)) return last.cacheKey;
    const cacheKey = dekCacheKey(
      object.dekSourceType,
      object.encryptedDekSource,
      object.keyId,
      object.annotations,
    ).toString('latin1');
    // Kept without the value's bytes (the views would hold on to the whole stored value).
    const kept: EncryptedObject = {
      encryptedData: new Uint8Array(0),
      keyId: object.keyId,
      encryptedDekSource: Uint8Array.from(object.encryptedDekSource),
      annotations: new Map([...object.annotations].map(([name, value]) => [name, Uint8Array.from(value)])),
      dekSourceType: object.dekSourceType,
    };
    this.#lastLookup = { object: kept, cacheKey };
    return cacheKey;
  }

  #open(reader: DekReader, object: EncryptedObject, key: string): Uint8Array {
    try {
      return reader.open(object.encryptedData, key);
    } catch (error) {
      const reason = describeCause(error);
      const hint =
        reason === 'message authentication failed' ? ' (a value moved from another etcd key?)' : '';
      throw new ProviderError(
        'ERR_ENCRYPTION_DECRYPT',
        `${this.#label}: cannot decrypt (key ID hash ${JSON.stringify(keyIdHash(object.keyId))}): ${reason}${hint}`,
      );
    }
  }

  /** The plugin decrypts the seed or DEK once, however many reads are waiting for it. */
  #decryptDek(cacheKey: string, object: EncryptedObject): Promise<DekReader> {
    let pending = this.#decrypting.get(cacheKey);
    if (pending === undefined) {
      pending = this.#callDecrypt(cacheKey, object).finally(() => this.#decrypting.delete(cacheKey));
      this.#decrypting.set(cacheKey, pending);
    }
    return pending;
  }

  async #callDecrypt(cacheKey: string, object: EncryptedObject): Promise<DekReader> {
    let plaintext: Uint8Array;
    try {
      plaintext = await this.#service.decrypt({
        ciphertext: Uint8Array.from(object.encryptedDekSource),
        uid: this.#uid(),
        keyId: object.keyId,
        annotations: annotationRecord(object.annotations),
      });
    } catch (error) {
      throw new ProviderError(
        'ERR_KMS_PLUGIN',
        `${this.#label}: failed to decrypt DEK (key ID hash ${JSON.stringify(keyIdHash(object.keyId))}), error: ${describeCause(error)}`,
      );
    }
    let reader: DekReader;
    if (object.dekSourceType === DEK_SOURCE_HKDF_SHA256_XNONCE_AES_GCM_SEED) {
      if (plaintext.length < SEED_SIZE) {
        throw new ProviderError(
          'ERR_ENCRYPTION_DECRYPT',
          `${this.#label}: invalid seed length ${plaintext.length} used for key generation`,
        );
      }
      reader = new SeedReader(secretKey(plaintext));
    } else {
      if (![16, 24, 32].includes(plaintext.length)) {
        throw new ProviderError(
          'ERR_ENCRYPTION_DECRYPT',
          `${this.#label}: invalid DEK size ${plaintext.length}`,
        );
      }
      reader = new DekKeyReader(plaintext);
    }
    this.#remember(cacheKey, reader);
    return reader;
  }

  #corrupt(problem: string): ProviderError {
    return new ProviderError('ERR_ENCRYPTION_DECRYPT', `${this.#label}: invalid EncryptedObject: ${problem}`);
  }

  #remember(cacheKey: string, reader: DekReader): void {
    const now = this.#now();
    if (now - this.#sweptAt >= SWEEP_INTERVAL_MS) this.#sweep(now);
    this.#readers.set(cacheKey, { reader, expiresAt: now + KMS_V2_DEK_CACHE_TTL_MS });
  }

  #sweep(now: number): void {
    this.#sweptAt = now;
    for (const [cacheKey, entry] of this.#readers) {
      if (entry.expiresAt <= now) this.#readers.delete(cacheKey);
    }
  }

  #uid(): string {
    return randomUuid(this.#random);
  }
}

/** A random v4 UUID for the plugin's logs (kube sends one per call). */
export function randomUuid(random: RandomFill): string {
  const bytes = new Uint8Array(16);
  random(bytes);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * `HKDF_SHA256_XNONCE_AES_GCM_SEED`: `encryptedData = info[32] ‖ nonce[12] ‖ ciphertext ‖ tag[16]`, the key
 * HKDF-Expand(seed, info). kube also keeps each derived key for 10 minutes under its etcd key; here that cache
 * costs more (garbage collection of thousands of key objects) than the HMAC it saves, so keys are derived anew.
 */
class SeedReader implements DekReader {
  readonly #seed: KeyObject;

  constructor(seed: KeyObject) {
    this.#seed = seed;
  }

  open(encryptedData: Uint8Array, key: string): Uint8Array {
    if (encryptedData.length < INFO_SIZE)
      throw new Error('the stored data was shorter than the required size');
    const dek = secretKey(hkdfSha256ExpandOneBlock(this.#seed, encryptedData.subarray(0, INFO_SIZE)));
    return gcmOpen('aes-256-gcm', dek, encryptedData.subarray(INFO_SIZE), authenticatedData(key));
  }
}

/** `AES_GCM_KEY` (written before 1.29): the DEK itself, `encryptedData = nonce[12] ‖ ciphertext ‖ tag[16]`. */
class DekKeyReader implements DekReader {
  readonly #key: KeyObject;
  readonly #algorithm: CipherGCMTypes;

  constructor(key: Uint8Array) {
    this.#key = secretKey(key);
    this.#algorithm = gcmAlgorithm(key.length);
  }

  open(encryptedData: Uint8Array, key: string): Uint8Array {
    return gcmOpen(this.#algorithm, this.#key, encryptedData, authenticatedData(key));
  }
}

function sameDekSource(a: EncryptedObject, b: EncryptedObject): boolean {
  if (a.dekSourceType !== b.dekSourceType || a.keyId !== b.keyId) return false;
  if (Buffer.compare(a.encryptedDekSource, b.encryptedDekSource) !== 0) return false;
  if (a.annotations.size !== b.annotations.size) return false;
  for (const [key, value] of a.annotations) {
    const other = b.annotations.get(key);
    if (other === undefined || Buffer.compare(value, other) !== 0) return false;
  }
  return true;
}

function annotationMap(annotations: Record<string, Uint8Array> | undefined): Map<string, Uint8Array> {
  const map = new Map<string, Uint8Array>();
  for (const [key, value] of Object.entries(annotations ?? {})) map.set(key, Uint8Array.from(value));
  return map;
}

function annotationRecord(annotations: ReadonlyMap<string, Uint8Array>): Record<string, Uint8Array> {
  const record = Object.create(null) as Record<string, Uint8Array>;
  for (const [key, value] of annotations) record[key] = value;
  return record;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** Writes `value` as a varint at `out[at…]`; returns where it ends. */
function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}
