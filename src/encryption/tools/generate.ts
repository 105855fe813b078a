/**
 * A new EncryptionConfiguration (apiserver.config.k8s.io/v1) for `--encryption-provider-config`: one entry for
 * the chosen resources, the chosen provider first (it writes), and `identity: {}` last so that what is stored in
 * plain text today stays readable until it is rewritten. Pure: the caller passes the time and the key bytes;
 * the text is checked with the same parser kube-apiserver's rules are implemented in before it is returned.
 */
import { parseGoDuration } from '../../common/duration.ts';
import { yaml } from '../../manifests/yaml.ts';
import {
  ENCRYPTION_CONFIG_API_VERSION,
  ENCRYPTION_CONFIG_KIND,
  parseEncryptionConfiguration,
  type EncryptionConfiguration,
} from '../config.ts';
import { EncryptionToolError } from './errors.ts';
import { KEY_NAME_PATTERN, timestampKeyName } from './key-names.ts';

export const GENERATED_PROVIDERS = ['aescbc', 'aesgcm', 'secretbox', 'kms'] as const;
export type GeneratedProvider = (typeof GENERATED_PROVIDERS)[number];

/** The key size written for every local provider: AES-256, and the only size secretbox takes. */
export const GENERATED_KEY_BYTES = 32;

export interface KmsOptions {
  /** The provider's name: part of every stored value's prefix (`k8s:enc:kms:v2:<name>:`), so it never changes. */
  name: string;
  /** `unix:///path/to/plugin.sock` (or `unix:///@abstract`). */
  endpoint: string;
  /** A Go duration; kube's default is 3s. */
  timeout?: string | undefined;
}

export interface GenerateOptions {
  provider: GeneratedProvider;
  /** As the configuration writes them: `secrets`, `configmaps`, `*.apps`… (default: secrets). */
  resources?: readonly string[] | undefined;
  /** aescbc, aesgcm, secretbox: the key's name (default `key-<UTC timestamp>`). */
  keyName?: string | undefined;
  /** aescbc, aesgcm, secretbox: the key, GENERATED_KEY_BYTES random bytes. */
  key?: Uint8Array | undefined;
  kms?: KmsOptions | undefined;
  /** Append `identity: {}` (default true): plain text already stored stays readable. */
  identityFallback?: boolean | undefined;
  now: Date;
}

export interface GeneratedConfig {
  text: string;
  config: EncryptionConfiguration;
  /** The key's name (local providers). */
  keyName?: string | undefined;
}

export function generateEncryptionConfig(options: GenerateOptions): GeneratedConfig {
  const fail = (message: string): never => {
    throw new EncryptionToolError('ERR_ENCRYPTION_GENERATE', message);
  };
  if (!(GENERATED_PROVIDERS as readonly string[]).includes(options.provider)) {
    fail(`unknown provider "${options.provider}": use ${GENERATED_PROVIDERS.join(', ')}`);
  }
  const resources = options.resources ?? ['secrets'];
  if (resources.length === 0) fail('no resources to encrypt');
  const identityFallback = options.identityFallback ?? true;

  let provider: Record<string, unknown>;
  let keyName: string | undefined;
  if (options.provider === 'kms') {
    const kms = options.kms ?? fail('the kms provider needs a name and an endpoint');
    if (options.keyName !== undefined || options.key !== undefined) {
      fail('the kms provider has no key: its keys are in the KMS');
    }
    if (kms.name === '' || kms.name.includes(':')) fail(`invalid kms provider name "${kms.name}"`);
    const timeout = kms.timeout ?? '3s';
    let timeoutMs = 0;
    try {
      timeoutMs = parseGoDuration(timeout, 'timeout');
    } catch {
      fail(`invalid kms timeout "${timeout}": use a duration such as 3s`);
    }
    if (!(timeoutMs > 0)) fail(`the kms timeout must be positive, not "${timeout}"`);
    provider = { kms: { apiVersion: 'v2', name: kms.name, endpoint: kms.endpoint, timeout } };
  } else {
    if (options.kms !== undefined) fail(`kms settings are for the kms provider, not ${options.provider}`);
    keyName = options.keyName ?? timestampKeyName(options.now);
    if (!KEY_NAME_PATTERN.test(keyName)) {
      fail(`invalid key name "${keyName}": use letters, digits, ".", "_" and "-" (at most 63)`);
    }
    const key = options.key ?? fail('no key bytes');
    if (key.length !== GENERATED_KEY_BYTES) fail(`the key must be ${GENERATED_KEY_BYTES} bytes`);
    provider = {
      [options.provider]: { keys: [{ name: keyName, secret: Buffer.from(key).toString('base64') }] },
    };
  }

  const document = new (yaml().Document)(
    {
      apiVersion: ENCRYPTION_CONFIG_API_VERSION,
      kind: ENCRYPTION_CONFIG_KIND,
      resources: [
        {
          resources: [...resources],
          providers: identityFallback ? [provider, { identity: {} }] : [provider],
        },
      ],
    },
    { version: '1.1' },
  );
  document.commentBefore = headerComment(options, identityFallback);
  const text = document.toString({ lineWidth: 0 });
  // The parser's messages name fields and never print key material.
  const config = parseEncryptionConfiguration(text, { source: 'the generated configuration' });
  return { text, config, keyName };
}

function headerComment(options: GenerateOptions, identityFallback: boolean): string {
  const lines = [
    ` EncryptionConfiguration for kube-apiserver --encryption-provider-config, made by`,
    ` cloak encryption config generate on ${options.now.toISOString().replace(/\.\d+Z$/, 'Z')}.`,
  ];
  if (options.provider === 'kms') {
    lines.push(' The keys are in the KMS behind the plugin; this file holds none.');
  } else {
    lines.push(
      ' It holds key material: keep it readable by the API server only (mode 0600) and back it up',
      ' securely; whoever has it and a copy of etcd can read every value it protects.',
      ' Rotate with: cloak encryption config rotate FILE',
    );
  }
  if (identityFallback) {
    lines.push(
      ' identity (last) reads values stored before encryption was enabled. Once every object has been',
      ' rewritten (cloak encryption rewrite; check with cloak encryption verify), remove it.',
    );
  }
  return lines.join('\n');
}
