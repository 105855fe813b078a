/** A test CA and a server certificate for 127.0.0.1 and localhost, made once per test process. */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KeyObject, webcrypto } from 'node:crypto';

export interface TestTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
let material: Promise<TestTls> | undefined;

/** A CA and a server certificate for 127.0.0.1 and localhost, made once per test process. */
export function testTls(): Promise<TestTls> {
  material ??= (async () => {
    const notBefore = new Date(Date.now() - 3600_000);
    const notAfter = new Date(Date.now() + 86_400_000);
    const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const ca = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: '01',
        name: 'CN=cloak test CA',
        keys: caKeys,
        notBefore,
        notAfter,
        signingAlgorithm: EC,
        extensions: [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, webcrypto),
        ],
      },
      webcrypto,
    );
    const serverKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const server = await x509.X509CertificateGenerator.create(
      {
        serialNumber: '02',
        subject: 'CN=127.0.0.1',
        issuer: ca.subject,
        notBefore,
        notAfter,
        publicKey: serverKeys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: EC,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([
            { type: 'ip', value: '127.0.0.1' },
            { type: 'dns', value: 'localhost' },
          ]),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, webcrypto),
        ],
      },
      webcrypto,
    );
    const keyPem = KeyObject.from(serverKeys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
    return { caPem: ca.toString('pem'), certPem: server.toString('pem'), keyPem };
  })();
  return material;
}
