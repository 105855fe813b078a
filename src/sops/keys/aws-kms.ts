/**
 * AWS KMS master keys: sops' `kms` metadata entries. The data key goes through `kms:Encrypt` with the key's
 * encryption context, and `enc` is the standard base64 of the returned CiphertextBlob; decryption needs the
 * same context. A `role` is assumed through STS first (session name `sops@<host>`, as sops names it, so that
 * IAM conditions written for sops keep working).
 *
 * Configuration, read from the command's environment (KeyContext.env) the way the AWS CLI and sops read it:
 * - region: always the one in the key ARN;
 * - credentials: the key's `aws_profile`, else `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY`
 *   (+ `AWS_SESSION_TOKEN`), else `AWS_PROFILE`, else the SDK's default chain (shared config and credentials
 *   files, SSO, web identity, container and instance metadata) — the order sops' Go SDK applies;
 * - endpoint: `AWS_ENDPOINT_URL_KMS` (`AWS_ENDPOINT_URL_STS` for AssumeRole), else `AWS_ENDPOINT_URL`, unless
 *   `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` — the SDK's own variables (VPC endpoints, LocalStack, tests).
 *
 * The SDK (about 80 ms to import) is loaded only when a key is used.
 */
import type * as KmsSdk from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { hostname } from 'node:os';
import { CloakError } from '../../common/errors.ts';
import { decodeStdBase64, encodeStdBase64 } from '../../manifests/base64.ts';
import {
  asEntry,
  describeCause,
  formatCreatedAt,
  keyFailure,
  metadataError,
  oneLine,
  optionalString,
  requiredCreatedAt,
  requiredString,
  specError,
} from './cloud-common.ts';
import type { KeyContext, MasterKey } from './master-key.ts';

/** sops' pattern for a usable key ARN; the first group is the region. */
const KEY_ARN = /^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)\/.+$/;
/** `<key ARN>+<role ARN>`: sops splits at `+arn:aws:iam::`; other partitions (aws-cn, aws-us-gov) too. */
const ROLE_SUFFIX = /\+(arn:aws[\w-]*:iam::.*)$/;
const STS_SESSION_NAME_LIMIT = 64;

export type EncryptionContext = Record<string, string>;

export interface AwsKmsKeyFields {
  arn: string;
  role?: string | undefined;
  context?: EncryptionContext | undefined;
  awsProfile?: string | undefined;
  createdAt?: Date | undefined;
  enc?: string | undefined;
}

export interface AwsKmsSpecOptions {
  /** `--encryption-context` / the rule's context: applies to every ARN of the list. */
  context?: EncryptionContext | undefined;
  /** `--aws-profile` / the rule's `aws_profile`. */
  awsProfile?: string | undefined;
}

export class AwsKmsKey implements MasterKey {
  readonly type = 'kms';
  readonly id: string;
  readonly arn: string;
  readonly role: string;
  readonly context: EncryptionContext | undefined;
  readonly awsProfile: string;
  readonly createdAt: Date | undefined;
  readonly enc: string;

  constructor(fields: AwsKmsKeyFields) {
    this.arn = fields.arn;
    this.id = fields.arn;
    this.role = fields.role ?? '';
    this.context =
      fields.context && Object.keys(fields.context).length > 0 ? { ...fields.context } : undefined;
    this.awsProfile = fields.awsProfile ?? '';
    this.createdAt = fields.createdAt;
    this.enc = fields.enc ?? '';
  }

  /**
   * One ARN as `--kms`, `SOPS_KMS_ARN` and a creation rule's `kms:` give it (the caller splits comma lists):
   * `arn:aws:kms:REGION:ACCOUNT:key/ID` or `…:alias/NAME`, optionally followed by `+arn:aws:iam::ACCOUNT:role/NAME`
   * to assume that role first. Spaces are ignored, as sops ignores them.
   */
  static fromSpec(spec: string, options: AwsKmsSpecOptions = {}): AwsKmsKey {
    const compact = spec.replace(/\s+/g, '');
    if (compact === '') throw specError('kms', 'empty ARN');
    const roleMatch = ROLE_SUFFIX.exec(compact);
    const arn = roleMatch ? compact.slice(0, roleMatch.index) : compact;
    checkArn(arn);
    return new AwsKmsKey({
      arn,
      role: roleMatch?.[1],
      context: options.context,
      awsProfile: options.awsProfile,
    });
  }

  /** A `kms` item of a creation rule's `key_groups`: `{arn, role, context, aws_profile}`. */
  static fromConfig(value: unknown): AwsKmsKey {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw specError('kms', 'a key_groups kms item must be a map with "arn"');
    }
    const item = value as Record<string, unknown>;
    const arn = typeof item.arn === 'string' ? item.arn.trim() : '';
    if (arn === '') throw specError('kms', 'a key_groups kms item needs "arn"');
    checkArn(arn);
    for (const field of ['role', 'aws_profile']) {
      if (item[field] !== undefined && item[field] !== null && typeof item[field] !== 'string') {
        throw specError('kms', `"${field}" of ${arn} is not a string`);
      }
    }
    const context = readContext(item.context, (message) => specError('kms', `${arn}: ${message}`));
    return new AwsKmsKey({
      arn,
      role: (item.role as string | null | undefined) ?? '',
      context,
      awsProfile: (item.aws_profile as string | null | undefined) ?? '',
    });
  }

  /** An entry of `sops.kms` (or of a key group's `kms`). */
  static fromMetadata(value: unknown): AwsKmsKey {
    const entry = asEntry('kms', value);
    const arn = requiredString('kms', entry, 'arn');
    return new AwsKmsKey({
      arn,
      role: optionalString('kms', entry, 'role'),
      context: readContext(entry.context, (message) => metadataError('kms', message)),
      awsProfile: optionalString('kms', entry, 'aws_profile'),
      createdAt: requiredCreatedAt('kms', entry),
      enc: requiredString('kms', entry, 'enc'),
    });
  }

  /** Fields in the order of sops' `kmskey` struct; `role` and `context` only when set (omitempty). */
  toMetadata(): Record<string, unknown> {
    const out: Record<string, unknown> = { arn: this.arn };
    if (this.role !== '') out.role = this.role;
    if (this.context) out.context = sortedContext(this.context);
    out.created_at = formatCreatedAt(this.createdAt);
    out.enc = this.enc;
    out.aws_profile = this.awsProfile;
    return out;
  }

  async encrypt(dataKey: Uint8Array, context: KeyContext): Promise<AwsKmsKey> {
    return this.withClient('encrypt', context, async (client, sdk) => {
      const output = await client.send(
        new sdk.EncryptCommand({ KeyId: this.arn, Plaintext: dataKey, EncryptionContext: this.context }),
      );
      if (!output.CiphertextBlob || output.CiphertextBlob.length === 0) {
        throw new Error('the response has no CiphertextBlob');
      }
      return new AwsKmsKey({
        ...this.fields(),
        enc: encodeStdBase64(output.CiphertextBlob),
        createdAt: context.now(),
      });
    });
  }

  async decrypt(context: KeyContext): Promise<Uint8Array> {
    if (this.enc === '') throw keyFailure('decrypt', 'kms', this.id, 'the entry has no encrypted data key');
    let blob: Buffer;
    try {
      blob = decodeStdBase64(this.enc);
    } catch (error) {
      throw keyFailure('decrypt', 'kms', this.id, `"enc" is not base64: ${describeCause(error)}`);
    }
    return this.withClient('decrypt', context, async (client, sdk) => {
      const output = await client.send(
        new sdk.DecryptCommand({ KeyId: this.arn, CiphertextBlob: blob, EncryptionContext: this.context }),
      );
      if (!output.Plaintext) throw new Error('the response has no Plaintext');
      return output.Plaintext;
    });
  }

  /** Runs `call` with a client for this key; every failure becomes one CloakError naming the key. */
  private async withClient<T>(
    operation: 'encrypt' | 'decrypt',
    context: KeyContext,
    call: (client: KMSClient, sdk: typeof KmsSdk) => Promise<T>,
  ): Promise<T> {
    let client: KMSClient | undefined;
    try {
      const sdk = await import('@aws-sdk/client-kms');
      client = await this.client(operation, context, sdk);
      return await call(client, sdk);
    } catch (error) {
      if (error instanceof CloakError) throw error;
      throw keyFailure(operation, 'kms', this.id, awsCause(error));
    } finally {
      client?.destroy();
    }
  }

  private fields(): AwsKmsKeyFields {
    return {
      arn: this.arn,
      role: this.role,
      context: this.context,
      awsProfile: this.awsProfile,
      createdAt: this.createdAt,
      enc: this.enc,
    };
  }

  /** A KMS client for the key's region, with the role's credentials when the key has one. */
  private async client(
    operation: 'encrypt' | 'decrypt',
    context: KeyContext,
    sdk: typeof KmsSdk,
  ): Promise<KMSClient> {
    const region = KEY_ARN.exec(this.arn)?.[1];
    if (region === undefined) throw keyFailure(operation, 'kms', this.id, 'not a valid KMS key ARN');
    const base = baseConfig(context.env, this.awsProfile);
    let credentials = base.credentials;
    if (this.role !== '') {
      try {
        credentials = await assumeRole(this.role, region, base, context.env);
      } catch (error) {
        throw keyFailure(operation, 'kms', this.id, `cannot assume role ${this.role}: ${awsCause(error)}`);
      }
    }
    return new sdk.KMSClient({
      region,
      ...(credentials ? { credentials } : base.profile ? { profile: base.profile } : {}),
      ...endpointFor('KMS', context.env),
    });
  }
}

/** sops' `--encryption-context` text: `key:value,key2:value2`. sops ignores a malformed one; this refuses it. */
export function parseEncryptionContext(text: string): EncryptionContext | undefined {
  if (text === '') return undefined;
  const out: EncryptionContext = {};
  for (const pair of text.split(',')) {
    const parts = pair.split(':');
    if (parts.length !== 2) {
      throw specError('kms', 'the encryption context must be comma-separated key:value pairs');
    }
    out[parts[0] as string] = parts[1] as string;
  }
  return out;
}

function checkArn(arn: string): void {
  if (!KEY_ARN.test(arn)) {
    throw specError(
      'kms',
      `"${arn}" is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID or arn:aws:kms:REGION:ACCOUNT:alias/NAME)`,
    );
  }
}

function readContext(value: unknown, fail: (message: string) => Error): EncryptionContext | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw fail('"context" is not a map');
  const out: EncryptionContext = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw fail(`"context" value of "${key}" is not a string`);
    out[key] = item;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Go marshals maps with sorted keys. */
function sortedContext(context: EncryptionContext): EncryptionContext {
  return Object.fromEntries(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The SDK's AwsCredentialIdentity, spelt out so that no transitive package is imported. */
interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

interface BaseConfig {
  credentials: AwsCredentialIdentity | undefined;
  profile: string | undefined;
}

/**
 * sops' order (aws-sdk-go-v2): a profile set on the key beats the static keys of the environment, which beat
 * `AWS_PROFILE`; with none of them the SDK's default chain decides.
 */
function baseConfig(env: NodeJS.ProcessEnv, keyProfile: string): BaseConfig {
  if (keyProfile) return { credentials: undefined, profile: keyProfile };
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey) {
    const sessionToken = env.AWS_SESSION_TOKEN || undefined;
    return {
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      profile: undefined,
    };
  }
  return { credentials: undefined, profile: env.AWS_PROFILE || undefined };
}

function endpointFor(service: 'KMS' | 'STS', env: NodeJS.ProcessEnv): { endpoint?: string } {
  if ((env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '').toLowerCase() === 'true') return {};
  const variable = env[`AWS_ENDPOINT_URL_${service}`] ? `AWS_ENDPOINT_URL_${service}` : 'AWS_ENDPOINT_URL';
  const endpoint = env[variable];
  if (!endpoint) return {};
  if (!URL.canParse(endpoint)) throw new Error(`${variable} is not a URL`);
  return { endpoint };
}

async function assumeRole(
  role: string,
  region: string,
  base: BaseConfig,
  env: NodeJS.ProcessEnv,
): Promise<AwsCredentialIdentity> {
  const { STSClient, AssumeRoleCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({
    region,
    ...(base.credentials ? { credentials: base.credentials } : base.profile ? { profile: base.profile } : {}),
    ...endpointFor('STS', env),
  });
  try {
    const output = await sts.send(
      new AssumeRoleCommand({ RoleArn: role, RoleSessionName: stsSessionName() }),
    );
    const issued = output.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey) throw new Error('STS returned no credentials');
    return {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      ...(issued.SessionToken ? { sessionToken: issued.SessionToken } : {}),
      ...(issued.Expiration ? { expiration: issued.Expiration } : {}),
    };
  } finally {
    sts.destroy();
  }
}

/** `sops@<hostname>`, reduced to the characters STS allows and to its 64-character limit. */
export function stsSessionName(host: string = hostname()): string {
  return `sops@${host.replace(/[^\w+=,.@-]+/g, '')}`.slice(0, STS_SESSION_NAME_LIMIT);
}

/** What a service error without a message means (KMS sends InvalidCiphertextException bare). */
const AWS_HINTS: Record<string, string> = {
  InvalidCiphertextException: 'the ciphertext, its encryption context or the key does not match',
  IncorrectKeyException: 'the ciphertext was made with another key',
};

/** A service exception as its name and message (the SDK says "UnknownError" when KMS sent no message). */
export function awsCause(error: unknown): string {
  if (error instanceof Error && error.name !== 'Error') {
    const said = error.message && error.message !== 'UnknownError' ? oneLine(error.message) : '';
    const message = said || AWS_HINTS[error.name] || '';
    return message ? `${error.name}: ${message}` : error.name;
  }
  return describeCause(error);
}
