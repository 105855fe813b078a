/**
 * External Secrets' own template functions (runtime/template/v2 in ESO): PKCS#12 in and out, PEM filters,
 * certificate SANs, JWK to PEM, RSA-OAEP decryption, and hexdec from its vendored sprig. ESO's full set is
 * these plus its sprig fork (see function-sets.ts); toYaml/fromYaml live with the sprig functions.
 */
import type { GoFunc } from '../../values.ts';
import { hexdec, jwkPrivateKeyPem, jwkPublicKeyPem, rsaDecrypt } from './keys.ts';
import { certSANs, filterCertChain, filterPEM } from './pem.ts';
import {
  fullPemToPkcs12,
  fullPemToPkcs12Pass,
  pemToPkcs12,
  pemToPkcs12Pass,
  pemTruststoreToPKCS12,
  pemTruststoreToPKCS12Pass,
  pkcs12cert,
  pkcs12certPass,
  pkcs12key,
  pkcs12keyPass,
} from './pkcs12.ts';

export const esoFunctions: readonly GoFunc[] = [
  pkcs12key,
  pkcs12keyPass,
  pkcs12cert,
  pkcs12certPass,
  pemToPkcs12,
  pemToPkcs12Pass,
  fullPemToPkcs12,
  fullPemToPkcs12Pass,
  pemTruststoreToPKCS12,
  pemTruststoreToPKCS12Pass,
  filterPEM,
  filterCertChain,
  certSANs,
  jwkPublicKeyPem,
  jwkPrivateKeyPem,
  rsaDecrypt,
  hexdec,
];
