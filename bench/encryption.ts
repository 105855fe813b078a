/**
 * Encryption at rest: 10,000 Secret-sized values (the protobuf envelope of a realistic Secret, about 400 bytes,
 * each under its own etcd key) written (`toStorage`) and read (`fromStorage`) through each provider's
 * transformer, as the local API server's store calls them. Figures:
 * - ops/s of each provider, and its cost as a ratio to identity measured in the same run (for information:
 *   identity does nothing, so these ratios are large by nature);
 * - KMS v2 ÷ aesgcm, writes and reads, for information: KMS v2 derives a key per value (HKDF-Expand, one
 *   HMAC-SHA256, as kube does) and wraps the result in an EncryptedObject, so at this level it costs two to three
 *   times aesgcm by construction; the ≤ 1.5 target holds for what users meet and is measured end to end by
 *   encryption-e2e.ts. Writes must not call the plugin: the in-process fake plugin counts its Encrypt calls, and
 *   the benchmark fails unless there was exactly one;
 * - KMS v2 reads by a server that did not write the values (its seed decrypted once by the plugin, then an
 *   HMAC per value), for information.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { encodeForStorage } from '../src/apiserver/codec/codec.ts';
import { validateEncryptionConfiguration } from '../src/encryption/config.ts';
import type { KmsService } from '../src/encryption/kms-service.ts';
import { encryptionTransformers } from '../src/encryption/transformer.ts';
import type { ValueTransformer } from '../src/apiserver/storage/transformer.ts';
import { progress, type Figure } from './report.ts';
import { bestOfRounds } from './stats.ts';

const BENCHMARK = 'encryption';
const VALUES = 10_000;
/** Each round runs every provider's writes and reads once over all the values: about 0.1 s per provider. */
const ROUNDS = 7;
const RESOURCE = { group: '', plural: 'secrets' };

type ProviderName = 'identity' | 'aescbc' | 'aesgcm' | 'secretbox' | 'kms v2';
const PROVIDERS: readonly ProviderName[] = ['identity', 'aescbc', 'aesgcm', 'secretbox', 'kms v2'];

/** An in-process KMS v2 plugin: "encrypts" with AES-256-GCM under its own key and counts the calls. */
class CountingKms implements KmsService {
  encryptCalls = 0;
  decryptCalls = 0;
  readonly #kek: Buffer;

  constructor(kek: Buffer = randomBytes(32)) {
    this.#kek = kek;
  }

  /** Another plugin instance with the same key (another API server's connection), counting its own calls. */
  sharingKey(): CountingKms {
    return new CountingKms(this.#kek);
  }

  status(): Promise<{ version: string; healthz: string; keyId: string }> {
    return Promise.resolve({ version: 'v2', healthz: 'ok', keyId: 'bench-kek-1' });
  }

  encrypt(
    plaintext: Uint8Array,
  ): Promise<{ ciphertext: Uint8Array; keyId: string; annotations: Record<string, Uint8Array> }> {
    this.encryptCalls++;
    // Reversible without any state: the ciphertext is the plaintext XOR the KEK (enough for a fake).
    const ciphertext = Buffer.from(plaintext).map((byte, i) => byte ^ (this.#kek[i % 32] as number));
    return Promise.resolve({ ciphertext, keyId: 'bench-kek-1', annotations: {} });
  }

  decrypt(request: { ciphertext: Uint8Array }): Promise<Uint8Array> {
    this.decryptCalls++;
    return Promise.resolve(
      Buffer.from(request.ciphertext).map((byte, i) => byte ^ (this.#kek[i % 32] as number)),
    );
  }
}

export async function benchEncryption(): Promise<Figure[]> {
  const plain = secretPayload();
  const keys = Array.from({ length: VALUES }, (_, i) => `/registry/secrets/bench/app-credentials-${i}`);
  progress(`encryption: ${VALUES} values of ${plain.length} bytes through ${PROVIDERS.length} providers`);

  const kms = new CountingKms();
  const transformers = Object.fromEntries(
    PROVIDERS.map((name) => [name, transformerFor(name, kms)]),
  ) as Record<ProviderName, ValueTransformer>;

  // Warm-up, checked: every value reads back as written, and the stored forms are what they should be.
  const stored = {} as Record<ProviderName, Uint8Array[]>;
  for (const name of PROVIDERS) {
    stored[name] = await writeAll(transformers[name], plain, keys);
    checkStored(name, stored[name], plain);
    await readAll(transformers[name], stored[name], keys, plain, true);
  }

  progress(`encryption: writes and reads, best of ${ROUNDS} rounds`);
  const measures: Record<string, () => Promise<number>> = {};
  for (const name of PROVIDERS) {
    const transformer = transformers[name];
    measures[`${name} write`] = () => rate(async () => void (await writeAll(transformer, plain, keys)));
    measures[`${name} read`] = () => rate(() => readAll(transformer, stored[name], keys, plain, false));
  }
  // A server that did not write the values: a fresh transformer each round, so the seed comes from the plugin
  // (which it also primes its own write state from: its calls are not counted with the writer's).
  const kmsWritten = stored['kms v2'];
  measures['kms v2 read, another server'] = () => {
    const fresh = transformerFor('kms v2', kms.sharingKey());
    return rate(() => readAll(fresh, kmsWritten, keys, plain, false));
  };
  const rates = await bestOfRounds(ROUNDS, measures);

  if (kms.encryptCalls !== 1) {
    throw new Error(
      `the KMS plugin's Encrypt was called ${kms.encryptCalls} times for ${VALUES} writes, not once`,
    );
  }
  const at = (name: string): number => rates[name] as number;
  const figures: Figure[] = [];
  for (const verb of ['write', 'read'] as const) {
    for (const name of PROVIDERS) {
      figures.push({
        benchmark: BENCHMARK,
        name: `${name} ${verb}`,
        value: at(`${name} ${verb}`),
        unit: 'ops/s',
      });
    }
    for (const name of PROVIDERS.filter((provider) => provider !== 'identity')) {
      figures.push({
        benchmark: BENCHMARK,
        name: `${name} ${verb} ÷ identity ${verb}`,
        value: at(`identity ${verb}`) / at(`${name} ${verb}`),
        unit: 'ratio',
        note:
          verb === 'write' && name === 'aescbc' ? 'for information: identity does no work at all' : undefined,
      });
    }
    figures.push({
      benchmark: BENCHMARK,
      name: `kms v2 ${verb} ÷ aesgcm ${verb}`,
      value: at(`aesgcm ${verb}`) / at(`kms v2 ${verb}`),
      unit: 'ratio',
      note:
        verb === 'write'
          ? `for information (an HKDF per value is the format; the ≤ 1.5 target is end to end, in encryption-e2e); the plugin's Encrypt ran ${kms.encryptCalls} time(s) for all writes`
          : undefined,
    });
  }
  figures.push({
    benchmark: BENCHMARK,
    name: 'kms v2 read by another server ÷ aesgcm read',
    value: at('aesgcm read') / at('kms v2 read, another server'),
    unit: 'ratio',
    note: 'for information: one plugin Decrypt for the seed, then a key derivation per value',
  });
  return figures;
}

function transformerFor(name: ProviderName, kms: KmsService): ValueTransformer {
  const key = (size: number): string => randomBytes(size).toString('base64');
  const provider =
    name === 'identity'
      ? { identity: {} }
      : name === 'kms v2'
        ? { kms: { apiVersion: 'v2', name: 'bench', endpoint: 'unix:///bench.sock' } }
        : { [name]: { keys: [{ name: 'key1', secret: key(32) }] } };
  const config = validateEncryptionConfiguration({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources: ['secrets'], providers: [provider] }],
  });
  return encryptionTransformers(config, () => kms)(RESOURCE);
}

async function writeAll(
  transformer: ValueTransformer,
  plain: Uint8Array,
  keys: readonly string[],
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = new Array<Uint8Array>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const written = transformer.toStorage(plain, keys[i] as string);
    out[i] = written instanceof Uint8Array ? written : await written;
  }
  return out;
}

async function readAll(
  transformer: ValueTransformer,
  stored: readonly Uint8Array[],
  keys: readonly string[],
  plain: Uint8Array,
  deep: boolean,
): Promise<void> {
  for (let i = 0; i < keys.length; i++) {
    const result = transformer.fromStorage(stored[i] as Uint8Array, keys[i] as string);
    const { value, stale } = 'value' in result ? result : await result;
    if (stale || value.length !== plain.length || (deep && !Buffer.from(value).equals(plain))) {
      throw new Error(`value ${i} read back wrong`);
    }
  }
}

/** A fast wrong answer is not a result: what each provider stored must carry its prefix and not the plain bytes. */
function checkStored(name: ProviderName, stored: readonly Uint8Array[], plain: Uint8Array): void {
  const prefix = {
    identity: '',
    aescbc: 'k8s:enc:aescbc:v1:key1:',
    aesgcm: 'k8s:enc:aesgcm:v1:key1:',
    secretbox: 'k8s:enc:secretbox:v1:key1:',
    'kms v2': 'k8s:enc:kms:v2:bench:',
  }[name];
  for (const value of stored) {
    const bytes = Buffer.from(value);
    if (!bytes.subarray(0, prefix.length).equals(Buffer.from(prefix)))
      throw new Error(`${name}: wrong prefix`);
    if (name !== 'identity' && bytes.includes(Buffer.from(plain).subarray(4, 40))) {
      throw new Error(`${name}: the stored value contains the plain bytes`);
    }
  }
}

/** Values per second of one pass over all the values. */
async function rate(pass: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await pass();
  return (VALUES * 1000) / (performance.now() - start);
}

/** The protobuf envelope of a Secret as `kubectl create secret generic` leaves it: about 400 bytes. */
function secretPayload(): Uint8Array {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'app-credentials',
      namespace: 'bench',
      uid: '9b0a3e4c-6f1d-4c8e-a2b7-3d5e9f1a2c4b',
      creationTimestamp: '2025-01-15T10:30:00Z',
      labels: { 'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/part-of': 'shop' },
      managedFields: [
        {
          manager: 'kubectl-create',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2025-01-15T10:30:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { '.': {}, 'f:password': {}, 'f:username': {} }, 'f:type': {} },
        },
      ],
    },
    type: 'Opaque',
    data: {
      username: Buffer.from('checkout-service').toString('base64'),
      password: randomBytes(24).toString('base64'),
      'database-url': Buffer.from('postgres://checkout@db.bench.svc:5432/orders?sslmode=require').toString(
        'base64',
      ),
    },
  };
  return encodeForStorage('protobuf', secret);
}
