/**
 * New sealing keys, made the way the Sealed Secrets controller makes them: an RSA key and a self-signed
 * certificate (random serial below 2^128, critical KeyUsage encipherOnly, critical BasicConstraints CA,
 * Subject Key Identifier, sha256WithRSA, subject and issuer CN = --my-cn or empty), stored as a
 * `kubernetes.io/tls` Secret labelled as an active sealing key. Pure: no I/O.
 */
import { createPublicKey, generateKeyPair, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Secret, StringMap } from '../kube/objects.ts';
import { encodeStdBase64 } from '../manifests/base64.ts';
import { DEFAULT_KEY_PREFIX } from './constants.ts';
import { publicKeyFingerprint } from './keys.ts';

export const SEALING_KEY_LABEL = 'sealedsecrets.bitnami.com/sealed-secrets-key';

export interface KeyRequest {
  bits: number;
  commonName: string;
  validityMs: number;
  now: Date;
}

export interface GeneratedKey {
  privateKey: KeyObject;
  /** PKCS#1 ("RSA PRIVATE KEY"), as the controller stores it. */
  privateKeyPem: string;
  certificatePem: string;
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
}

const generateRsaKeyPair = promisify(generateKeyPair);
const SIGNING = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

export async function generateSealingKey(request: KeyRequest): Promise<GeneratedKey> {
  const { privateKey, publicKey } = await generateRsaKeyPair('rsa', {
    modulusLength: request.bits,
    publicExponent: 65537,
  });
  const { notBefore, notAfter } = validityWindow(request);
  const certificatePem = await selfSignedCertificate(privateKey, publicKey, request.commonName, {
    notBefore,
    notAfter,
  });
  return {
    privateKey,
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    certificatePem,
    fingerprint: publicKeyFingerprint(publicKey),
    notBefore,
    notAfter,
  };
}

/** A new controller-style certificate for an existing key (a backup that kept only tls.key, say). */
export async function certificateForKey(
  privateKey: KeyObject,
  request: Omit<KeyRequest, 'bits'>,
): Promise<string> {
  return selfSignedCertificate(
    privateKey,
    createPublicKey(privateKey),
    request.commonName,
    validityWindow(request),
  );
}

/** X.509 times have whole seconds. */
function validityWindow(request: Omit<KeyRequest, 'bits'>): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.floor(request.now.getTime() / 1000) * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + request.validityMs) };
}

async function selfSignedCertificate(
  privateKey: KeyObject,
  publicKey: KeyObject,
  commonName: string,
  { notBefore, notAfter }: { notBefore: Date; notAfter: Date },
): Promise<string> {
  // @peculiar/x509 needs the Reflect metadata polyfill; load both only when a certificate is made.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const crypto = webcrypto;
  const signingKey = privateKey.toCryptoKey(SIGNING, false, ['sign']);
  const verifyKey = publicKey.toCryptoKey(SIGNING, true, ['verify']);
  const name = commonName ? new x509.Name([{ CN: [commonName] }]) : new x509.Name([]);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: name,
      issuer: name,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING,
      publicKey: verifyKey,
      signingKey,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.encipherOnly, true),
        new x509.BasicConstraintsExtension(true, undefined, true),
        await x509.SubjectKeyIdentifierExtension.create(verifyKey, false, crypto),
      ],
    },
    crypto,
  );
  return `${certificate.toString('pem').trim()}\n`;
}

/** A positive serial below 2^128, DER-minimal (no leading zero byte unless the high bit needs one). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const hex = bytes.subarray(start).toString('hex');
  return (bytes[start] ?? 0) & 0x80 ? `00${hex}` : hex;
}

export interface KeySecretOptions {
  namespace?: string | undefined;
  prefix?: string | undefined;
  labels?: StringMap | undefined;
  annotations?: StringMap | undefined;
}

/** The key as the controller stores it: a `kubernetes.io/tls` Secret with `generateName`. */
export function keySecret(key: GeneratedKey, options: KeySecretOptions = {}): Secret {
  const metadata: Secret['metadata'] = {
    generateName: options.prefix ?? DEFAULT_KEY_PREFIX,
    labels: { ...options.labels, [SEALING_KEY_LABEL]: 'active' },
  };
  if (options.namespace) metadata.namespace = options.namespace;
  if (options.annotations && Object.keys(options.annotations).length > 0)
    metadata.annotations = options.annotations;
  return {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata,
    data: {
      'tls.crt': encodeStdBase64(Buffer.from(key.certificatePem)),
      'tls.key': encodeStdBase64(Buffer.from(key.privateKeyPem)),
    },
    type: 'kubernetes.io/tls',
  };
}
