/**
 * A fake AWS KMS (JSON 1.1 protocol: `X-Amz-Target: TrentService.Encrypt|Decrypt`) and STS (query protocol:
 * `Action=AssumeRole`) on one local HTTP server. Every request must carry a valid Signature Version 4
 * `Authorization` header, which the fake recomputes from the secret key of the access key id it names, with the
 * credential scope's service and region checked. Encryption is real: AES-256-GCM under a per-key secret, with
 * the encryption context as additional data, so a wrong context or a changed blob fails as on KMS.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { json, startFakeServer, type FakeServer, type Reply, type SeenRequest } from './cloud-fake-server.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface FakeAwsOptions {
  /** Long-term credentials the fake accepts. */
  users: AwsCredentials[];
  /** Key ARNs that exist; each gets its own secret. */
  keys: string[];
  /** Role ARNs that `AssumeRole` grants (to any known user). */
  roles?: string[];
  /** Access key ids (of users or issued role sessions) refused with AccessDeniedException on a key. */
  denied?: string[];
}

export interface FakeAws extends FakeServer {
  /** Role sessions issued by AssumeRole, in order. */
  sessions: { role: string; sessionName: string; credentials: AwsCredentials }[];
  /** Opens a CiphertextBlob as KMS would (for checking `enc` independently of the client). */
  open(blob: Buffer, context: Record<string, string> | undefined): Buffer;
}

const MAGIC = Buffer.from('FAKEKMS1');

export async function startFakeAws(t: TestContext, options: FakeAwsOptions): Promise<FakeAws> {
  const secrets = new Map(options.keys.map((arn) => [arn, randomBytes(32)]));
  const credentials = new Map(options.users.map((user) => [user.accessKeyId, user]));
  const sessions: FakeAws['sessions'] = [];

  function seal(arn: string, plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', secrets.get(arn) as Buffer, iv);
    cipher.setAAD(contextAad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const id = Buffer.from(arn);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(id.length);
    return Buffer.concat([MAGIC, length, id, iv, body, cipher.getAuthTag()]);
  }

  function open(
    blob: Buffer,
    context: Record<string, string> | undefined,
  ): { arn: string; plaintext: Buffer } {
    if (blob.length < MAGIC.length + 2 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new KmsError('InvalidCiphertextException', '');
    }
    const idLength = blob.readUInt16BE(MAGIC.length);
    const idEnd = MAGIC.length + 2 + idLength;
    const arn = blob.subarray(MAGIC.length + 2, idEnd).toString();
    const secret = secrets.get(arn);
    if (!secret || blob.length < idEnd + 12 + 16) throw new KmsError('InvalidCiphertextException', '');
    const decipher = createDecipheriv('aes-256-gcm', secret, blob.subarray(idEnd, idEnd + 12));
    decipher.setAAD(contextAad(context));
    decipher.setAuthTag(blob.subarray(blob.length - 16));
    try {
      return {
        arn,
        plaintext: Buffer.concat([decipher.update(blob.subarray(idEnd + 12, -16)), decipher.final()]),
      };
    } catch {
      throw new KmsError('InvalidCiphertextException', '');
    }
  }

  function kms(request: SeenRequest, caller: AwsCredentials): Reply {
    const target = request.headers['x-amz-target'];
    if (request.headers['content-type'] !== 'application/x-amz-json-1.1') {
      return kmsError('SerializationException', 'expected application/x-amz-json-1.1');
    }
    const input = JSON.parse(request.body.toString()) as Record<string, unknown>;
    const context = input.EncryptionContext as Record<string, string> | undefined;
    try {
      if (target === 'TrentService.Encrypt') {
        const arn = String(input.KeyId);
        if (!secrets.has(arn)) throw new KmsError('NotFoundException', `Key '${arn}' does not exist`);
        if (options.denied?.includes(caller.accessKeyId)) throw denied(caller, arn, 'Encrypt');
        if (typeof input.Plaintext !== 'string')
          throw new KmsError('ValidationException', 'Plaintext is required');
        const blob = seal(arn, Buffer.from(input.Plaintext, 'base64'), context);
        return kmsJson({
          CiphertextBlob: blob.toString('base64'),
          KeyId: arn,
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        });
      }
      if (target === 'TrentService.Decrypt') {
        if (typeof input.CiphertextBlob !== 'string') {
          throw new KmsError('ValidationException', 'CiphertextBlob is required');
        }
        const { arn, plaintext } = open(Buffer.from(input.CiphertextBlob, 'base64'), context);
        if (input.KeyId !== undefined && input.KeyId !== arn) {
          throw new KmsError(
            'IncorrectKeyException',
            'The key ID in the request does not identify the key used',
          );
        }
        if (options.denied?.includes(caller.accessKeyId)) throw denied(caller, arn, 'Decrypt');
        return kmsJson({
          KeyId: arn,
          Plaintext: plaintext.toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        });
      }
      return kmsError('UnknownOperationException', '');
    } catch (error) {
      if (error instanceof KmsError) return kmsError(error.type, error.message);
      throw error;
    }
  }

  function sts(request: SeenRequest): Reply {
    const form = new URLSearchParams(request.body.toString());
    if (form.get('Action') !== 'AssumeRole' || form.get('Version') !== '2011-06-15') {
      return stsError(400, 'InvalidAction', 'unsupported action');
    }
    const role = form.get('RoleArn') ?? '';
    const sessionName = form.get('RoleSessionName') ?? '';
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
      return stsError(400, 'ValidationError', 'bad RoleSessionName');
    if (!options.roles?.includes(role)) {
      return stsError(403, 'AccessDenied', `Not authorized to perform sts:AssumeRole on ${role}`);
    }
    const issued: AwsCredentials = {
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(60).toString('base64'),
    };
    credentials.set(issued.accessKeyId, issued);
    sessions.push({ role, sessionName, credentials: issued });
    const xml =
      '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>' +
      `<Credentials><AccessKeyId>${issued.accessKeyId}</AccessKeyId>` +
      `<SecretAccessKey>${issued.secretAccessKey}</SecretAccessKey>` +
      `<SessionToken>${issued.sessionToken}</SessionToken>` +
      '<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>' +
      `<AssumedRoleUser><AssumedRoleId>AROAFAKE:${sessionName}</AssumedRoleId>` +
      `<Arn>${role.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${sessionName}</Arn>` +
      '</AssumedRoleUser></AssumeRoleResult>' +
      '<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>' +
      '</AssumeRoleResponse>';
    return { status: 200, headers: { 'Content-Type': 'text/xml' }, body: xml };
  }

  const server = await startFakeServer(t, (request) => {
    const isKms = request.headers['x-amz-target'] !== undefined;
    const auth = verifySigV4(request, credentials, isKms ? 'kms' : 'sts');
    if ('error' in auth) {
      return isKms ? kmsError(auth.error, auth.message) : stsError(403, auth.error, auth.message);
    }
    return isKms ? kms(request, auth.caller) : sts(request);
  });
  return Object.assign(server, {
    sessions,
    open: (blob: Buffer, context: Record<string, string> | undefined) => open(blob, context).plaintext,
  });
}

class KmsError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

function denied(caller: AwsCredentials, arn: string, action: string): KmsError {
  return new KmsError(
    'AccessDeniedException',
    `User: ${caller.accessKeyId} is not authorized to perform: kms:${action} on resource: ${arn}`,
  );
}

function contextAad(context: Record<string, string> | undefined): Buffer {
  return Buffer.from(JSON.stringify(Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))));
}

function kmsJson(value: unknown): Reply {
  return json(value, 200, 'application/x-amz-json-1.1');
}

function kmsError(type: string, message: string): Reply {
  const reply = json(
    message ? { __type: type, message } : { __type: type },
    400,
    'application/x-amz-json-1.1',
  );
  return {
    ...reply,
    headers: { ...reply.headers, 'x-amzn-RequestId': '00000000-0000-0000-0000-000000000000' },
  };
}

function stsError(status: number, code: string, message: string): Reply {
  return {
    status,
    headers: { 'Content-Type': 'text/xml' },
    body:
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code>` +
      `<Message>${message}</Message></Error><RequestId>00000000</RequestId></ErrorResponse>`,
  };
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Recomputes the request's SigV4 signature; names the caller or the KMS/STS error it would get. */
export function verifySigV4(
  request: SeenRequest,
  known: Map<string, AwsCredentials>,
  service: 'kms' | 'sts',
): { caller: AwsCredentials } | { error: string; message: string } {
  const header = request.headers.authorization ?? '';
  const match = AUTH.exec(header);
  if (!match)
    return { error: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const [, accessKeyId, date, region, scopeService, signedHeaderList, signature] =
    match as unknown as string[];
  const caller = known.get(accessKeyId as string);
  if (!caller) {
    return {
      error: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  if (scopeService !== service) {
    return {
      error: 'InvalidSignatureException',
      message: `Credential should be scoped to correct service: '${service}'.`,
    };
  }
  if (caller.sessionToken !== undefined && request.headers['x-amz-security-token'] !== caller.sessionToken) {
    return {
      error: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const signedHeaders = (signedHeaderList as string).split(';');
  if (!signedHeaders.includes('host') || !amzDate.startsWith(date as string)) {
    return { error: 'InvalidSignatureException', message: 'The request signature is malformed.' };
  }
  const [path, query = ''] = request.path.split('?') as [string, string?];
  const canonicalQuery = query.split('&').filter(Boolean).sort().join('&');
  const canonicalHeaders = signedHeaders
    .map(
      (name) =>
        `${name}:${String(request.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash =
    (request.headers['x-amz-content-sha256'] as string | undefined) ??
    createHash('sha256').update(request.body).digest('hex');
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaderList,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key: Buffer = hmac(`AWS4${caller.secretAccessKey}`, date as string);
  for (const part of [region as string, service, 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== signature) {
    return {
      error: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided.',
    };
  }
  return { caller };
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** The region a request was signed for (its credential scope). */
export function signedRegion(request: SeenRequest): string | undefined {
  return AUTH.exec(request.headers.authorization ?? '')?.[3];
}
