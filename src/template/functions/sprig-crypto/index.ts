/**
 * sprig's crypto functions (sprig 3.2.3's map, the one Debian's Go package gives the test oracle):
 * sha1sum, sha256sum, adler32sum, bcrypt, htpasswd, derivePassword, genPrivateKey, buildCustomCert, genCA,
 * genCAWithKey, genSelfSignedCert, genSelfSignedCertWithKey, genSignedCert, genSignedCertWithKey,
 * encryptAES, decryptAES, randBytes. sprig 3.3 adds sha512sum (exported separately: the Sealed Secrets and
 * External Secrets sets include it); External Secrets' vendored sprig changes htpasswd to take a hash
 * algorithm (htpasswdWithAlgorithm). uuidv4 belongs with the general functions.
 */
import { FunctionSet } from '../../functions.ts';
import type { GoFunc } from '../../values.ts';
import {
  buildCustomCert,
  genCA,
  genCAWithKey,
  genSelfSignedCert,
  genSelfSignedCertWithKey,
  genSignedCert,
  genSignedCertWithKey,
} from './certificates.ts';
import {
  adler32sum,
  bcrypt,
  decryptAES,
  derivePassword,
  encryptAES,
  htpasswd,
  htpasswdWithAlgorithm,
  randBytes,
  sha1sum,
  sha256sum,
  sha512sum,
} from './hashes.ts';
import { genPrivateKey } from './keys.ts';

export const sprigCryptoFunctions: readonly GoFunc[] = [
  sha1sum,
  sha256sum,
  adler32sum,
  bcrypt,
  htpasswd,
  derivePassword,
  genPrivateKey,
  buildCustomCert,
  genCA,
  genCAWithKey,
  genSelfSignedCert,
  genSelfSignedCertWithKey,
  genSignedCert,
  genSignedCertWithKey,
  encryptAES,
  decryptAES,
  randBytes,
];

/** What sprig 3.3.0 adds to the crypto functions. */
export const sprig33CryptoAdditions: readonly GoFunc[] = [sha512sum];

/** External Secrets' vendored sprig: htpasswd(username, password, hashAlgorithm). */
export { htpasswdWithAlgorithm };

/** The crypto functions alone, as a set (the case tables' "sprig-crypto"). */
export const SPRIG_CRYPTO = new FunctionSet('sprig-crypto', sprigCryptoFunctions);

export { CERTIFICATE_TYPE, certificateValue } from './certificates.ts';
