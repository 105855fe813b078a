/**
 * The local control plane's own certificate authority and its serving certificate: ECDSA P-256 (fast to make,
 * so a fresh data directory starts in well under a second), the CA written into the kubeconfig so kubectl
 * verifies the server. Pure apart from randomness: callers persist the PEMs.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';

export interface CertificateAuthority {
  certificatePem: string;
  privateKeyPem: string;
}

export interface ServingCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 86_400_000;

async function x509Library() {
  // @peculiar/x509 needs the Reflect metadata polyfill; both load only when a certificate is made.
  await import('reflect-metadata');
  return import('@peculiar/x509');
}

export async function generateCertificateAuthority(
  commonName: string,
  now: Date,
  validityDays = 3650,
): Promise<CertificateAuthority> {
  const x509 = await x509Library();
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: new x509.Name([{ CN: [commonName] }]),
      keys,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + validityDays * DAY),
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return {
    certificatePem: pem(certificate.toString('pem')),
    privateKeyPem: await privateKeyPem(keys.privateKey),
  };
}

/** A server certificate for `hosts` (IP addresses and DNS names), signed by `ca`. */
export async function issueServingCertificate(
  ca: CertificateAuthority,
  hosts: readonly string[],
  now: Date,
  validityDays = 365,
): Promise<ServingCertificate> {
  const x509 = await x509Library();
  const caCertificate = new x509.X509Certificate(ca.certificatePem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', pemBody(ca.privateKeyPem), EC, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: new x509.Name([{ CN: ['cloak-apiserver'] }]),
      issuer: caCertificate.subjectName,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + validityDays * DAY),
      publicKey: keys.publicKey,
      signingKey: caKey,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          [...new Set(hosts)].map((host) =>
            isIP(host) ? { type: 'ip' as const, value: host } : { type: 'dns' as const, value: host },
          ),
        ),
        await x509.AuthorityKeyIdentifierExtension.create(caCertificate, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return {
    certificatePem: pem(certificate.toString('pem')),
    privateKeyPem: await privateKeyPem(keys.privateKey),
  };
}

/** The subject alternative names a certificate covers (to decide whether it must be re-issued). */
export async function certificateHosts(certificatePem: string): Promise<{ hosts: string[]; notAfter: Date }> {
  const x509 = await x509Library();
  const certificate = new x509.X509Certificate(certificatePem);
  const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  const hosts = (san?.names.items ?? []).map((name) => name.value);
  return { hosts, notAfter: certificate.notAfter };
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').trim()}\n-----END PRIVATE KEY-----\n`;
}

function pemBody(text: string): Buffer {
  return Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function pem(text: string): string {
  return `${text.trim()}\n`;
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return bytes.toString('hex');
}
