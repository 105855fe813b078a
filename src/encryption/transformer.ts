/**
 * An EncryptionConfiguration as the storage layer uses it: for each resource, the ValueTransformer
 * (src/apiserver/storage/transformer.ts) that kube-apiserver 1.32 would build.
 *
 * - Matching (`transformerFromOverrides`): the exact `group/resource`, else `group/*` (`*.apps`; `*.` for the
 *   core group), else `*\/*`; nothing configured means identity, which still refuses `k8s:enc:` data. A resource
 *   named in several entries gets their providers one after the other (kube appends them).
 * - Within a resource: the first provider writes, every provider may read (prefix.ts); a read through a later
 *   provider or key is stale, which tells a storage migration what to rewrite.
 * - Errors say which etcd key, resource, provider and key name, never the data.
 *
 * `describeStoredValue` tells how a stored value was written from its prefix alone, for tools that inspect etcd.
 */
import type { TransformedValue, ValueTransformer } from '../apiserver/storage/transformer.ts';
import { CloakError } from '../common/errors.ts';
import {
  groupResourceString,
  parseGroupResource,
  type EncryptionConfiguration,
  type ProviderConfiguration,
} from './config.ts';
import { EncryptionError, ProviderError, type EncryptionErrorCode } from './errors.ts';
import type { KmsService } from './kms-service.ts';
import {
  isPromise,
  labelAt,
  PrefixChain,
  prefixBytes,
  startsWith,
  type PrefixEntry,
  type Read,
} from './prefix.ts';
import type { RandomFill } from './providers/ciphers.ts';
import {
  DEK_SOURCE_TYPE_NAMES,
  decodeEncryptedObject,
  type DekSourceType,
} from './providers/encrypted-object.ts';
import { KmsV1Provider } from './providers/kms-v1.ts';
import { KmsV2Provider, type KmsHealth } from './providers/kms-v2.ts';
import {
  defaultRandom,
  ENCRYPTED_DATA_PREFIX,
  IDENTITY,
  keyedProvider,
  PROVIDER_PREFIXES,
} from './providers/local.ts';

export type { KmsHealth } from './providers/kms-v2.ts';
export { KmsV2Provider } from './providers/kms-v2.ts';

export interface EncryptionOptions {
  /** Milliseconds since the epoch (KMS v2 state expiry and caches); `Date.now` by default. */
  now?: (() => number) | undefined;
  /** Fills a buffer with random bytes (IVs, nonces, seeds); node:crypto `randomFillSync` by default. */
  random?: RandomFill | undefined;
}

/** The KMS plugin of the configuration's `kms` provider of that name (a gRPC client, or an in-process fake). */
export type KmsServiceSource = (providerName: string) => KmsService;

export interface ResourceRef {
  /** `""` for the core group. */
  group: string;
  plural: string;
}

export interface EncryptionTransformers {
  (resource: ResourceRef): ValueTransformer;
  /** Every KMS v2 provider, for the status poll (`probe()` every minute, every 10 s while unhealthy) and healthz. */
  readonly kmsProviders: readonly KmsV2Provider[];
  /** How a write of `resource` is stored now: which provider and key. */
  writeTarget(resource: ResourceRef): StoredValueDescription;
  /** The KMS v2 providers' health, as `/healthz/kms-providers` would report it. */
  kmsHealth(): KmsHealth[];
}

export type StoredProvider = 'identity' | 'aescbc' | 'aesgcm' | 'secretbox' | 'kms' | 'unknown';

export interface StoredValueDescription {
  /** Starts with `k8s:enc:`. */
  encrypted: boolean;
  provider: StoredProvider;
  /** aescbc, aesgcm, secretbox: the key's name; kms: the provider's name. */
  keyName?: string | undefined;
  kmsApiVersion?: 'v1' | 'v2' | undefined;
  /** KMS v2: the plugin's key ID and the DEK source type recorded in the EncryptedObject (when it decodes). */
  kmsKeyId?: string | undefined;
  kmsDekSourceType?: string | undefined;
}

/**
 * The transformers of a validated configuration. KMS services are asked for once per `kms` provider, when the
 * function is built; nothing is called until values are read or written.
 */
export function encryptionTransformers(
  config: EncryptionConfiguration,
  kmsServices: KmsServiceSource,
  options: EncryptionOptions = {},
): EncryptionTransformers {
  const now = options.now ?? Date.now;
  const random = options.random ?? defaultRandom;
  const kmsProviders: KmsV2Provider[] = [];

  // getTransformerOverridesAndKMSPluginProbes: each entry's providers are built once and shared by its
  // resources; a resource in several entries gets all their providers, in order.
  const byGroupResource = new Map<string, { entries: PrefixEntry[]; configs: ProviderConfiguration[] }>();
  for (const entry of config.resources) {
    const built = entry.providers.map((provider) =>
      buildProvider(provider, kmsServices, now, random, kmsProviders),
    );
    for (const text of entry.resources) {
      const { group, resource } = parseGroupResource(text);
      const key = `${group}/${resource}`;
      const chain = byGroupResource.get(key) ?? { entries: [], configs: [] };
      chain.entries.push(...built);
      chain.configs.push(...entry.providers);
      byGroupResource.set(key, chain);
    }
  }

  const resolved = new Map<string, { transformer: ResourceTransformer; configs: ProviderConfiguration[] }>();
  const resolve = ({
    group,
    plural,
  }: ResourceRef): { transformer: ResourceTransformer; configs: ProviderConfiguration[] } => {
    const cacheKey = `${group}/${plural}`;
    let found = resolved.get(cacheKey);
    if (found === undefined) {
      const label = groupResourceString({ group, resource: plural });
      const match = [`${group}/${plural}`, `${group}/*`, '*/*']
        .map((key) => byGroupResource.get(key))
        .find((chain) => chain !== undefined);
      found =
        match === undefined
          ? {
              transformer: new ResourceTransformer(
                label,
                [{ prefix: new Uint8Array(0), transformer: IDENTITY }],
                false,
              ),
              configs: [{ type: 'identity' }],
            }
          : { transformer: new ResourceTransformer(label, match.entries, true), configs: match.configs };
      resolved.set(cacheKey, found);
    }
    return found;
  };

  const transformers = (resource: ResourceRef): ValueTransformer => resolve(resource).transformer;
  return Object.assign(transformers, {
    kmsProviders,
    writeTarget: (resource: ResourceRef) =>
      describeProvider(resolve(resource).configs[0] as ProviderConfiguration),
    kmsHealth: () => kmsProviders.map((provider) => provider.health()),
  });
}

function buildProvider(
  provider: ProviderConfiguration,
  kmsServices: KmsServiceSource,
  now: () => number,
  random: RandomFill,
  kmsProviders: KmsV2Provider[],
): PrefixEntry {
  switch (provider.type) {
    case 'identity':
      return { prefix: new Uint8Array(0), transformer: IDENTITY };
    case 'aescbc':
    case 'aesgcm':
    case 'secretbox':
      return keyedProvider(provider, random);
    case 'kms': {
      const service = kmsServices(provider.name);
      if (provider.apiVersion === 'v1') {
        return {
          prefix: prefixBytes(`${PROVIDER_PREFIXES.kmsV1}${provider.name}:`),
          transformer: new KmsV1Provider(provider.name, service, provider.cacheSize ?? 1000, random),
        };
      }
      const kms = new KmsV2Provider(provider.name, service, { now, random });
      kmsProviders.push(kms);
      return { prefix: prefixBytes(`${PROVIDER_PREFIXES.kmsV2}${provider.name}:`), transformer: kms };
    }
  }
}

/** What a value written by this provider looks like in storage: encrypted or not, provider, key. */
export function describeProvider(provider: ProviderConfiguration): StoredValueDescription {
  switch (provider.type) {
    case 'identity':
      return { encrypted: false, provider: 'identity' };
    case 'kms':
      return { encrypted: true, provider: 'kms', keyName: provider.name, kmsApiVersion: provider.apiVersion };
    default:
      return { encrypted: true, provider: provider.type, keyName: provider.keys[0]?.name };
  }
}

class ResourceTransformer implements ValueTransformer {
  readonly #resource: string;
  readonly #chain: PrefixChain;

  constructor(resource: string, entries: readonly PrefixEntry[], configured: boolean) {
    this.#resource = resource;
    this.#chain = new PrefixChain(entries, (data) => noProviderError(data, resource, configured));
  }

  toStorage(plain: Uint8Array, key: string): Uint8Array | Promise<Uint8Array> {
    let written;
    try {
      written = this.#chain.toStorage(plain, key, 0);
    } catch (error) {
      throw this.#failure('encrypt', key, error, 'ERR_ENCRYPTION_WRITE');
    }
    if (isPromise(written)) {
      return written.catch((error: unknown) => {
        throw this.#failure('encrypt', key, error, 'ERR_ENCRYPTION_WRITE');
      });
    }
    return written;
  }

  fromStorage(stored: Uint8Array, key: string): TransformedValue | Promise<TransformedValue> {
    let read;
    try {
      read = this.#chain.fromStorage(stored, key);
    } catch (error) {
      throw this.#failure('decrypt', key, error, 'ERR_ENCRYPTION_DECRYPT');
    }
    if (isPromise(read)) {
      return read.then(plainRead, (error: unknown) => {
        throw this.#failure('decrypt', key, error, 'ERR_ENCRYPTION_DECRYPT');
      });
    }
    return plainRead(read);
  }

  #failure(verb: string, key: string, error: unknown, fallback: EncryptionErrorCode): EncryptionError {
    const code = error instanceof ProviderError ? error.code : fallback;
    const reason =
      error instanceof CloakError
        ? error.message
        : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    return new EncryptionError(code, `cannot ${verb} ${key} (resource ${this.#resource}): ${reason}`, {
      cause: error,
    });
  }
}

function plainRead(read: Read): TransformedValue {
  return { value: read.value, stale: read.stale };
}

function noProviderError(data: Uint8Array, resource: string, configured: boolean): ProviderError {
  const found = describeStoredValue(data);
  let message: string;
  if (!found.encrypted) {
    message = `the value is not encrypted, and the identity provider is not configured for resource ${resource}`;
  } else if (found.provider === 'unknown') {
    message = 'the value has an unknown k8s:enc: prefix';
  } else if (configured) {
    message = `the value was written by ${writerLabel(found)}, which is not configured for resource ${resource}`;
  } else {
    message = `the value was written by ${writerLabel(found)}, but the encryption configuration does not cover resource ${resource}`;
  }
  return new ProviderError('ERR_ENCRYPTION_NO_MATCH', message);
}

function writerLabel(found: StoredValueDescription): string {
  const name = found.keyName === undefined ? '' : ` ${JSON.stringify(found.keyName)}`;
  if (found.provider === 'kms') return `kms provider${name} (KMS ${found.kmsApiVersion ?? '?'})`;
  return found.keyName === undefined
    ? `${found.provider} (key name unreadable)`
    : `${found.provider} key${name}`;
}

const DESCRIBED: readonly [Uint8Array, StoredProvider, 'v1' | 'v2' | undefined][] = [
  [prefixBytes(PROVIDER_PREFIXES.aescbc), 'aescbc', undefined],
  [prefixBytes(PROVIDER_PREFIXES.aesgcm), 'aesgcm', undefined],
  [prefixBytes(PROVIDER_PREFIXES.secretbox), 'secretbox', undefined],
  [prefixBytes(PROVIDER_PREFIXES.kmsV1), 'kms', 'v1'],
  [prefixBytes(PROVIDER_PREFIXES.kmsV2), 'kms', 'v2'],
];
const ENCRYPTED = prefixBytes(ENCRYPTED_DATA_PREFIX);

/** How a stored value was written, from its prefix (and, for KMS v2, its EncryptedObject's key ID). */
export function describeStoredValue(stored: Uint8Array): StoredValueDescription {
  if (!startsWith(stored, ENCRYPTED)) return { encrypted: false, provider: 'identity' };
  for (const [prefix, provider, kmsApiVersion] of DESCRIBED) {
    if (!startsWith(stored, prefix)) continue;
    const keyName = labelAt(stored, prefix.length);
    const description: StoredValueDescription = { encrypted: true, provider, keyName };
    if (kmsApiVersion === undefined) return description;
    description.kmsApiVersion = kmsApiVersion;
    if (kmsApiVersion === 'v2' && keyName !== undefined) {
      try {
        const object = decodeEncryptedObject(stored.subarray(prefix.length + keyName.length + 1));
        description.kmsKeyId = object.keyId;
        description.kmsDekSourceType =
          DEK_SOURCE_TYPE_NAMES[object.dekSourceType as DekSourceType] ?? String(object.dekSourceType);
      } catch {
        // A value that does not decode is described by its prefix alone.
      }
    }
    return description;
  }
  return { encrypted: true, provider: 'unknown' };
}
