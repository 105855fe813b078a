/**
 * GCP Cloud KMS master keys: sops' `gcp_kms` metadata entries. The data key goes through the symmetric
 * `Encrypt` call of the CryptoKey, and `enc` is the standard base64 of the returned ciphertext (sops keeps
 * base64 for compatibility with files written before 3.9).
 *
 * Configuration, read from the command's environment (KeyContext.env) as sops reads it:
 * - credentials: `GOOGLE_CREDENTIALS` (a path to a credentials JSON file, or the JSON itself), else
 *   `GOOGLE_OAUTH_ACCESS_TOKEN` (a bearer token, e.g. `gcloud auth print-access-token`), else Application
 *   Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's ADC file, the metadata server);
 * - endpoint: `SOPS_GCP_KMS_ENDPOINT` (`host:port`; Cloak also accepts `https://host:port`, and
 *   `http://host:port` for local emulators with the REST client), or `SOPS_GCP_KMS_UNIVERSE_DOMAIN`
 *   (`cloudkms.<domain>:443`);
 * - transport: `SOPS_GCP_KMS_CLIENT_TYPE=rest|grpc`. Cloak uses REST (HTTP/1.1, proxy-friendly) unless
 *   `grpc` is asked for; sops defaults to gRPC. Both reach the same API.
 *
 * The client library (about 300 ms to import) is loaded only when a key is used.
 */
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { existsSync, readFileSync } from 'node:fs';
import { CloakError } from '../../common/errors.ts';
import { decodeStdBase64, encodeStdBase64 } from '../../manifests/base64.ts';
import {
  asEntry,
  describeCause,
  formatCreatedAt,
  keyFailure,
  oneLine,
  requiredCreatedAt,
  requiredString,
  specError,
} from './cloud-common.ts';
import type { KeyContext, MasterKey } from './master-key.ts';

type GcpClientOptions = NonNullable<ConstructorParameters<typeof KeyManagementServiceClient>[0]>;

/** The resource ids sops accepts: a CryptoKey, not one of its versions. */
const RESOURCE_ID = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
/** One call, a couple of retries on UNAVAILABLE: the library's default retries for ten minutes. */
const CALL_OPTIONS = { timeout: 60_000, maxRetries: 2 };

export interface GcpKmsKeyFields {
  resourceId: string;
  createdAt?: Date | undefined;
  enc?: string | undefined;
}

export class GcpKmsKey implements MasterKey {
  readonly type = 'gcp_kms';
  readonly id: string;
  readonly resourceId: string;
  readonly createdAt: Date | undefined;
  readonly enc: string;

  constructor(fields: GcpKmsKeyFields) {
    this.resourceId = fields.resourceId;
    this.id = fields.resourceId;
    this.createdAt = fields.createdAt;
    this.enc = fields.enc ?? '';
  }

  /**
   * One resource id as `--gcp-kms`, `SOPS_GCP_KMS_IDS` and a creation rule's `gcp_kms:` give it (the caller
   * splits comma lists): `projects/P/locations/L/keyRings/R/cryptoKeys/K`. Spaces are ignored, as in sops.
   */
  static fromSpec(spec: string): GcpKmsKey {
    const resourceId = spec.replace(/\s+/g, '');
    if (resourceId === '') throw specError('gcp_kms', 'empty resource id');
    checkResourceId(resourceId);
    return new GcpKmsKey({ resourceId });
  }

  /** A `gcp_kms` item of a creation rule's `key_groups`: `{resource_id}`. */
  static fromConfig(value: unknown): GcpKmsKey {
    const resourceId =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>).resource_id
        : undefined;
    if (typeof resourceId !== 'string' || resourceId.trim() === '') {
      throw specError('gcp_kms', 'a key_groups gcp_kms item must be a map with "resource_id"');
    }
    return GcpKmsKey.fromSpec(resourceId);
  }

  /** An entry of `sops.gcp_kms` (or of a key group's `gcp_kms`). */
  static fromMetadata(value: unknown): GcpKmsKey {
    const entry = asEntry('gcp_kms', value);
    return new GcpKmsKey({
      resourceId: requiredString('gcp_kms', entry, 'resource_id'),
      createdAt: requiredCreatedAt('gcp_kms', entry),
      enc: requiredString('gcp_kms', entry, 'enc'),
    });
  }

  /** Fields in the order of sops' `gcpkmskey` struct. */
  toMetadata(): Record<string, unknown> {
    return { resource_id: this.resourceId, created_at: formatCreatedAt(this.createdAt), enc: this.enc };
  }

  async encrypt(dataKey: Uint8Array, context: KeyContext): Promise<GcpKmsKey> {
    return this.withClient('encrypt', context.env, async (client) => {
      const [response] = await client.encrypt({ name: this.resourceId, plaintext: dataKey }, CALL_OPTIONS);
      const ciphertext = bytes(response.ciphertext);
      if (ciphertext.length === 0) throw new Error('the response has no ciphertext');
      return new GcpKmsKey({
        resourceId: this.resourceId,
        createdAt: context.now(),
        enc: encodeStdBase64(ciphertext),
      });
    });
  }

  async decrypt(context: KeyContext): Promise<Uint8Array> {
    if (this.enc === '') {
      throw keyFailure('decrypt', 'gcp_kms', this.id, 'the entry has no encrypted data key');
    }
    let ciphertext: Buffer;
    try {
      ciphertext = decodeStdBase64(this.enc);
    } catch (error) {
      throw keyFailure('decrypt', 'gcp_kms', this.id, `"enc" is not base64: ${describeCause(error)}`);
    }
    return this.withClient('decrypt', context.env, async (client) => {
      const [response] = await client.decrypt({ name: this.resourceId, ciphertext }, CALL_OPTIONS);
      const plaintext = bytes(response.plaintext);
      if (plaintext.length === 0) throw new Error('the response has no plaintext');
      return plaintext;
    });
  }

  /** Runs `call` with a client for this key; every failure becomes one CloakError naming the key. */
  private async withClient<T>(
    operation: 'encrypt' | 'decrypt',
    env: NodeJS.ProcessEnv,
    call: (client: KeyManagementServiceClient) => Promise<T>,
  ): Promise<T> {
    let client: KeyManagementServiceClient | undefined;
    try {
      client = await this.client(operation, env);
      return await call(client);
    } catch (error) {
      if (error instanceof CloakError) throw error;
      throw keyFailure(operation, 'gcp_kms', this.id, gcpCause(error));
    } finally {
      await client?.close().catch(() => undefined);
    }
  }

  private async client(
    operation: 'encrypt' | 'decrypt',
    env: NodeJS.ProcessEnv,
  ): Promise<KeyManagementServiceClient> {
    if (!RESOURCE_ID.test(this.resourceId)) {
      throw keyFailure(operation, 'gcp_kms', this.id, 'not a valid CryptoKey resource id');
    }
    let transport: Record<string, unknown>;
    let authClient: unknown;
    try {
      transport = transportOptions(env);
      // Resolved here rather than by the client library, which leaves a failed credential lookup as an
      // unhandled rejection (and so a crashed process) when there are no credentials at all.
      authClient = await authClientFor(env, env.SOPS_GCP_KMS_UNIVERSE_DOMAIN || undefined);
    } catch (error) {
      throw keyFailure(operation, 'gcp_kms', this.id, describeCause(error));
    }
    const { KeyManagementServiceClient } = await import('@google-cloud/kms');
    return new KeyManagementServiceClient({ ...transport, authClient } as GcpClientOptions);
  }
}

function checkResourceId(resourceId: string): void {
  if (!RESOURCE_ID.test(resourceId)) {
    throw specError(
      'gcp_kms',
      `"${resourceId}" is not a CryptoKey resource id (projects/P/locations/L/keyRings/R/cryptoKeys/K)`,
    );
  }
}

function bytes(value: Uint8Array | string | null | undefined): Uint8Array {
  if (value === null || value === undefined) return new Uint8Array();
  return typeof value === 'string' ? decodeStdBase64(value) : value;
}

/** Client options for the transport and endpoint (see the module comment). */
function transportOptions(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const type = (env.SOPS_GCP_KMS_CLIENT_TYPE || 'rest').toLowerCase();
  if (type !== 'rest' && type !== 'grpc') {
    throw new Error(`SOPS_GCP_KMS_CLIENT_TYPE must be "rest" or "grpc"`);
  }
  const options: Record<string, unknown> = { fallback: type === 'rest' };
  const endpoint = env.SOPS_GCP_KMS_ENDPOINT;
  const universe = env.SOPS_GCP_KMS_UNIVERSE_DOMAIN;
  if (endpoint) {
    const match = /^(?:(https?):\/\/)?([^/:]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(endpoint);
    if (!match) throw new Error('SOPS_GCP_KMS_ENDPOINT must be host:port');
    const [, scheme, host, port] = match;
    if (scheme === 'http' && type === 'grpc') {
      throw new Error('SOPS_GCP_KMS_ENDPOINT: a plain http:// endpoint needs the REST client');
    }
    Object.assign(options, {
      apiEndpoint: host,
      port: port ? Number(port) : scheme === 'http' ? 80 : 443,
      ...(scheme === 'http' ? { protocol: 'http' } : {}),
    });
  } else if (universe) {
    Object.assign(options, { apiEndpoint: `cloudkms.${universe}`, port: 443 });
  }
  if (universe) options.universeDomain = universe;
  return options;
}

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

/** The auth client for the credentials, in sops' order (see the module comment). */
async function authClientFor(env: NodeJS.ProcessEnv, universeDomain: string | undefined): Promise<unknown> {
  const credentials = googleCredentials(env);
  const { GoogleAuth, OAuth2Client } = await import('google-auth-library');
  const common = universeDomain ? { universeDomain } : {};
  if (credentials !== undefined) {
    return new GoogleAuth({ ...common, scopes: SCOPES, credentials: credentials as never }).getClient();
  }
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN;
  if (token) {
    const client = new OAuth2Client(common);
    client.setCredentials({ access_token: token });
    return client;
  }
  const keyFilename = env.GOOGLE_APPLICATION_CREDENTIALS || undefined;
  try {
    return await new GoogleAuth({
      ...common,
      scopes: SCOPES,
      ...(keyFilename ? { keyFilename } : {}),
    }).getClient();
  } catch (error) {
    throw new Error(
      'no Google credentials (set GOOGLE_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN or GOOGLE_APPLICATION_CREDENTIALS, ' +
        `or run "gcloud auth application-default login"): ${describeCause(error)}`,
      { cause: error },
    );
  }
}

/** `GOOGLE_CREDENTIALS`: a credentials file, or the JSON itself. */
function googleCredentials(env: NodeJS.ProcessEnv): unknown {
  const credentials = env.GOOGLE_CREDENTIALS;
  if (!credentials) return undefined;
  let text = credentials;
  if (existsSync(credentials)) {
    try {
      text = readFileSync(credentials, 'utf8');
    } catch (error) {
      throw new Error(`cannot read the GOOGLE_CREDENTIALS file: ${describeCause(error)}`, { cause: error });
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // JSON.parse quotes the text it failed on, and this text is a private key: say nothing of it.
    throw new Error('GOOGLE_CREDENTIALS is neither a credentials file nor credentials JSON');
  }
}

const GRPC_STATUS = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** A GoogleError as its status name and the service's message; retries that never got an answer as the reason. */
function gcpCause(error: unknown): string {
  if (error instanceof Error) {
    const message = oneLine(error.message);
    if (message.startsWith('Exceeded maximum number of retries')) {
      const reason = /reason: (.*?)(?: before any response was received| : Previous errors|$)/.exec(
        message,
      )?.[1];
      return `no answer from Cloud KMS${reason ? `: ${reason}` : ''} (gave up after retrying)`;
    }
    const code = (error as Error & { code?: unknown }).code;
    if (typeof code === 'number' && GRPC_STATUS[code] !== undefined)
      return `${GRPC_STATUS[code]}: ${message}`;
  }
  return describeCause(error);
}
