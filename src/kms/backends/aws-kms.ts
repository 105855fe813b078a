/**
 * AWS KMS as the KMS plugin's key-encryption key: `kms:Encrypt` and `kms:Decrypt` with a symmetric key, through
 * one long-lived client of the official SDK (loaded when the plugin starts), so that credentials are resolved
 * once and refreshed by the SDK: the default chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE` and
 * the shared files, web identity / IRSA, ECS and EC2 instance metadata). The region is the key ARN's; the
 * endpoint is `--aws-endpoint`, else the SDK's `AWS_ENDPOINT_URL_KMS` / `AWS_ENDPOINT_URL`.
 *
 * The key id is the ARN of the key that wrapped, as KMS reports it: with an alias, retargeting the alias changes
 * the key id at the next health probe and the API server re-seeds; data wrapped by the previous key still
 * unwraps, because Decrypt names the key that wrapped it.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import type * as KmsSdk from '@aws-sdk/client-kms';
import { awsCause } from '../../sops/keys/aws-kms.ts';
import { KmsError } from '../errors.ts';
import type { KekBackend, KekWrapResult } from '../plugin.ts';
import { roundTrip } from './common.ts';
import { AWS_KMS_KEY_ARN } from './specs.ts';

export interface AwsKmsBackendOptions {
  /** `arn:aws:kms:REGION:ACCOUNT:key/ID` or `…:alias/NAME`. */
  keyId: string;
  /** A KMS endpoint URL (VPC endpoint, LocalStack, a test fake); default: the SDK's. */
  endpoint?: string | undefined;
  /** Static credentials instead of the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
}

interface Client {
  sdk: typeof KmsSdk;
  client: KMSClient;
}

export class AwsKmsBackend implements KekBackend {
  readonly description: string;
  private readonly options: AwsKmsBackendOptions;
  private readonly region: string;
  private client: Promise<Client> | undefined;
  private lastKeyId: string | undefined;

  constructor(options: AwsKmsBackendOptions) {
    const region = AWS_KMS_KEY_ARN.exec(options.keyId)?.[1];
    if (region === undefined) {
      throw new KmsError('ERR_KMS_BACKEND', `"${options.keyId}" is not an AWS KMS key or alias ARN`);
    }
    this.options = options;
    this.region = region;
    this.description = `AWS KMS key ${options.keyId}`;
  }

  async keyId(): Promise<string> {
    return this.lastKeyId ?? (await roundTrip(this));
  }

  async wrap(plaintext: Uint8Array): Promise<KekWrapResult> {
    const output = await this.call('encrypt', (client, sdk) =>
      client.send(new sdk.EncryptCommand({ KeyId: this.options.keyId, Plaintext: plaintext })),
    );
    if (!output.CiphertextBlob || output.CiphertextBlob.length === 0) {
      throw new KmsError(
        'ERR_KMS_BACKEND',
        `${this.description}: cannot encrypt: the response has no CiphertextBlob`,
      );
    }
    this.lastKeyId = output.KeyId || this.options.keyId;
    return { ciphertext: output.CiphertextBlob, keyId: this.lastKeyId, annotations: {} };
  }

  async unwrap(ciphertext: Uint8Array, keyId: string): Promise<Uint8Array> {
    const output = await this.call('decrypt', (client, sdk) =>
      client.send(new sdk.DecryptCommand({ CiphertextBlob: ciphertext, KeyId: keyId })),
    );
    if (!output.Plaintext) {
      throw new KmsError(
        'ERR_KMS_BACKEND',
        `${this.description}: cannot decrypt: the response has no Plaintext`,
      );
    }
    return output.Plaintext;
  }

  async health(): Promise<void> {
    await roundTrip(this);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    (await client?.catch(() => undefined))?.client.destroy();
  }

  /** Runs one SDK call; failures become one-line KmsErrors naming the key. */
  private async call<T>(
    operation: 'encrypt' | 'decrypt',
    run: (client: KMSClient, sdk: typeof KmsSdk) => Promise<T>,
  ): Promise<T> {
    try {
      const { sdk, client } = await this.open();
      return await run(client, sdk);
    } catch (error) {
      if (error instanceof KmsError) throw error;
      throw new KmsError(
        operation === 'decrypt' && isRefusedCiphertext(error) ? 'ERR_KMS_REQUEST' : 'ERR_KMS_BACKEND',
        `${this.description}: cannot ${operation}: ${awsCause(error)}`,
        { cause: error },
      );
    }
  }

  private open(): Promise<Client> {
    this.client ??= import('@aws-sdk/client-kms').then((sdk) => ({
      sdk,
      client: new sdk.KMSClient({
        region: this.region,
        // Two tries: the API server's call has a deadline of a few seconds.
        maxAttempts: 2,
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      }),
    }));
    return this.client;
  }
}

/** Errors that mean "this ciphertext is not for this key", not "KMS is down". */
function isRefusedCiphertext(error: unknown): boolean {
  return (
    error instanceof Error &&
    ['InvalidCiphertextException', 'IncorrectKeyException', 'NotFoundException'].includes(error.name)
  );
}
