/**
 * Sealing key material: the public certificate used to seal, the private keys used to unseal, and the
 * fingerprint that names a key. Accepts the forms kubeseal and the controller use: a PEM certificate, a PEM
 * private key (PKCS#1 or PKCS#8), a `kubernetes.io/tls` key Secret, or a `v1.List` of them (the controller's
 * backup format). Pure: callers pass bytes in.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { CloakError } from '../common/errors.ts';
import { expandLists, parseManifests } from '../manifests/decode.ts';
import { decodeStdBase64 } from '../manifests/base64.ts';

export interface PemBlock {
  type: string;
  text: string;
}

export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const pattern = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (const match of text.matchAll(pattern)) blocks.push({ type: match[1] ?? '', text: match[0] });
  return blocks;
}

export interface SealingCertificate {
  certificate: X509Certificate;
  publicKey: KeyObject;
  fingerprint: string;
}

/** The first certificate in `pem`, checked as kubeseal checks it: RSA, and not expired at `now`. */
export function parseSealingCertificate(
  pem: string | Uint8Array,
  source: string,
  now: Date,
): SealingCertificate {
  const certificate = readCertificate(pem, source);
  const publicKey = certificate.publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') {
    const found = (publicKey.asymmetricKeyType ?? 'unknown').toUpperCase();
    throw new CloakError('ERR_CERT_NOT_RSA', `${source}: expected RSA public key but found ${found} key`);
  }
  if (now > certificate.validToDate) {
    throw new CloakError(
      'ERR_CERT_EXPIRED',
      `${source}: failed to encrypt using an expired certificate on ${formatGoLongDate(certificate.validToDate)}`,
    );
  }
  return { certificate, publicKey, fingerprint: publicKeyFingerprint(publicKey) };
}

export function readCertificate(pem: string | Uint8Array, source: string): X509Certificate {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8');
  const block = pemBlocks(text).find((candidate) => candidate.type === 'CERTIFICATE');
  if (!block) throw new CloakError('ERR_CERT', `${source}: no PEM certificate found`);
  try {
    return new X509Certificate(block.text);
  } catch (error) {
    throw new CloakError('ERR_CERT', `${source}: cannot parse certificate: ${(error as Error).message}`);
  }
}

/** "January 2, 2006", the layout kubeseal uses in its expiry message. */
function formatGoLongDate(date: Date): string {
  const month = date.toLocaleString('en-US', { month: 'long', timeZone: 'UTC' });
  return `${month} ${date.getUTCDate()}, ${date.getUTCFullYear()}`;
}

/**
 * The SSH SHA-256 fingerprint of an RSA public key ("SHA256:" + unpadded base64), the id the Sealed Secrets
 * controller gives its keys. It depends on the key only, so a renewed certificate keeps it.
 */
export function publicKeyFingerprint(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e) throw new CloakError('ERR_KEY_TYPE', 'expected an RSA key');
  const wire = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    sshString(sshMpint(Buffer.from(jwk.e, 'base64url'))),
    sshString(sshMpint(Buffer.from(jwk.n, 'base64url'))),
  ]);
  return `SHA256:${createHash('sha256').update(wire).digest('base64').replace(/=+$/, '')}`;
}

function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function sshMpint(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
}

export interface SealingKey {
  privateKey: KeyObject;
  fingerprint: string;
  /** When the key was made (its certificate's NotBefore, else its Secret's creationTimestamp), if known. */
  createdAt?: Date;
  /** Where the key came from, for messages: a file name, and the Secret's name when there is one. */
  source: string;
  /** The certificate stored with the key (a key Secret's tls.crt, or a PEM certificate in the same file). */
  certificatePem?: string;
}

/**
 * Reads every private key in a key file: a PEM private key, a key Secret, or a List of key Secrets.
 * Only RSA keys are sealing keys; anything else is an error naming the file.
 */
export function parsePrivateKeyFile(data: string | Uint8Array, source: string): SealingKey[] {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  const blocks = pemBlocks(text);
  if (blocks.some((block) => isPrivateKeyBlock(block.type))) {
    const key = parsePrivateKeyPem(text, source);
    const certificate = blocks.find((block) => block.type === 'CERTIFICATE');
    return [certificate ? withCertificate(key, `${certificate.text}\n`) : key];
  }
  let objects;
  try {
    objects = expandLists(parseManifests(text, source), source);
  } catch (error) {
    throw new CloakError(
      'ERR_KEY_PARSE',
      `${source}: not a PEM private key, a key Secret or a List of key Secrets (${(error as Error).message})`,
    );
  }
  if (objects.length === 0) throw new CloakError('ERR_KEY_PARSE', `${source}: no private key found`);
  return objects.map((object) => parseKeySecret(object, source));
}

function isPrivateKeyBlock(type: string): boolean {
  return (
    type === 'RSA PRIVATE KEY' ||
    type === 'PRIVATE KEY' ||
    type === 'EC PRIVATE KEY' ||
    type === 'ENCRYPTED PRIVATE KEY'
  );
}

function parseKeySecret(object: Record<string, unknown>, source: string): SealingKey {
  const metadata = (object['metadata'] ?? {}) as {
    name?: string;
    generateName?: string;
    creationTimestamp?: string;
  };
  const where = `${source}${metadata.name ? ` (Secret ${metadata.name})` : ''}`;
  if (object['kind'] !== 'Secret') {
    throw new CloakError(
      'ERR_KEY_PARSE',
      `${where}: expected a key Secret, found kind ${String(object['kind'])}`,
    );
  }
  const data = (object['data'] ?? {}) as Record<string, unknown>;
  const encodedKey = data['tls.key'];
  if (typeof encodedKey !== 'string') {
    throw new CloakError('ERR_KEY_PARSE', `${where}: secret must contain a 'tls.key' key`);
  }
  let key = parsePrivateKeyPem(decodeField(encodedKey, where, 'tls.key'), where);
  const encodedCert = data['tls.crt'];
  if (typeof encodedCert === 'string') key = withCertificate(key, decodeField(encodedCert, where, 'tls.crt'));
  const createdAt = key.createdAt ?? parseTimestamp(metadata.creationTimestamp);
  return createdAt ? { ...key, createdAt } : key;
}

/** Attaches a certificate that belongs to the key; its NotBefore dates the key. Others are ignored. */
function withCertificate(key: SealingKey, certificatePem: string): SealingKey {
  let certificate: X509Certificate;
  try {
    certificate = readCertificate(certificatePem, key.source);
  } catch {
    return key;
  }
  if (publicKeyFingerprint(certificate.publicKey) !== key.fingerprint) return key;
  return { ...key, certificatePem, createdAt: certificate.validFromDate };
}

function decodeField(encoded: string, where: string, field: string): string {
  try {
    return decodeStdBase64(encoded).toString('utf8');
  } catch (error) {
    throw new CloakError('ERR_KEY_PARSE', `${where}: data.${field}: ${(error as Error).message}`);
  }
}

function parseTimestamp(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function parsePrivateKeyPem(text: string, source: string): SealingKey {
  const block = pemBlocks(text).find((candidate) => isPrivateKeyBlock(candidate.type));
  if (!block) throw new CloakError('ERR_KEY_PARSE', `${source}: no PEM private key found`);
  if (block.type === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: 4,ENCRYPTED/.test(block.text)) {
    throw new CloakError('ERR_KEY_PARSE', `${source}: encrypted private keys are not supported`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: block.text, format: 'pem' });
  } catch (error) {
    throw new CloakError('ERR_KEY_PARSE', `${source}: cannot parse private key: ${(error as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new CloakError(
      'ERR_KEY_PARSE',
      `${source}: unexpected private key type ${privateKey.asymmetricKeyType ?? 'unknown'}`,
    );
  }
  return { privateKey, fingerprint: publicKeyFingerprint(privateKey), source };
}
