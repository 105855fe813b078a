/**
 * Shamir's secret sharing as sops uses it to split the data key across key groups (sops' `shamir` package, a
 * fork of HashiCorp Vault's): arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1, one random
 * polynomial of degree `threshold − 1` per secret byte whose constant term is that byte, and shares laid out as
 * `y-bytes ‖ x` where share i (0-based) has x = i + 1. A 32-byte data key therefore gives 33-byte shares, and
 * share i is what every master key in key group i wraps. Combining evaluates the Lagrange interpolation of the
 * given points at x = 0, byte by byte. Pure: the random source is a parameter (the default is the platform's
 * CSPRNG), nothing else is touched.
 *
 * Field operations avoid data-dependent branches and table look-ups (sops took the same care after
 * GHSA-vq4h-9ghm-qmrr); JavaScript gives no hard constant-time guarantee, but nothing here indexes memory or
 * branches on a secret byte.
 */
import { CloakError } from '../common/errors.ts';

/** Fills a fresh array of `length` random bytes. */
export type RandomSource = (length: number) => Uint8Array;

const defaultRandom: RandomSource = (length) => globalThis.crypto.getRandomValues(new Uint8Array(length));

/** Addition (and subtraction) in GF(2^8). */
export function gfAdd(a: number, b: number): number {
  return (a ^ b) & 0xff;
}

/** Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. */
export function gfMultiply(a: number, b: number): number {
  let product = 0;
  let shifted = a & 0xff;
  for (let bit = 0; bit < 8; bit++) {
    // Add `shifted` when bit `bit` of b is set: the mask is all ones or zero, no branch.
    product ^= shifted & -((b >> bit) & 1);
    // Multiply `shifted` by x, folding x^8 back in as x^4 + x^3 + x + 1 (0x1b) when the top bit falls out.
    shifted = ((shifted << 1) ^ (0x1b & -((shifted >> 7) & 1))) & 0xff;
  }
  return product & 0xff;
}

/**
 * The multiplicative inverse: a^254, since every non-zero element satisfies a^255 = 1. The inverse of 0 comes
 * out as 0, which callers must not rely on (see gfDivide).
 */
export function gfInverse(a: number): number {
  const a2 = gfMultiply(a, a);
  const a3 = gfMultiply(a2, a);
  const a6 = gfMultiply(a3, a3);
  const a12 = gfMultiply(a6, a6);
  const a15 = gfMultiply(a12, a3);
  const a24 = gfMultiply(a12, a12);
  const a48 = gfMultiply(a24, a24);
  const a63 = gfMultiply(a48, a15);
  const a126 = gfMultiply(a63, a63);
  const a127 = gfMultiply(a126, a);
  return gfMultiply(a127, a127);
}

export function gfDivide(a: number, b: number): number {
  if ((b & 0xff) === 0) throw new CloakError('ERR_SOPS_SHAMIR', 'division by zero in GF(2^8)');
  return gfMultiply(a, gfInverse(b));
}

/** Horner's rule: coefficients[0] + coefficients[1]·x + … */
function evaluate(coefficients: Uint8Array, x: number): number {
  let value = 0;
  for (let index = coefficients.length - 1; index >= 0; index--) {
    value = gfAdd(gfMultiply(value, x), coefficients[index]!);
  }
  return value;
}

function shamirError(message: string): CloakError {
  return new CloakError('ERR_SOPS_SHAMIR', message);
}

/**
 * Splits `secret` into `parts` shares, any `threshold` of which rebuild it. Each share is one byte longer than
 * the secret; its last byte is its x coordinate, i + 1 for share i.
 */
export function splitSecret(
  secret: Uint8Array,
  parts: number,
  threshold: number,
  random: RandomSource = defaultRandom,
): Uint8Array[] {
  if (!Number.isInteger(parts) || !Number.isInteger(threshold)) {
    throw shamirError('the number of shares and the threshold must be integers');
  }
  if (parts < threshold) throw shamirError(`cannot make ${parts} shares with a threshold of ${threshold}`);
  if (parts > 255) throw shamirError(`at most 255 shares can be made, not ${parts}`);
  if (threshold < 2) throw shamirError(`the threshold must be at least 2, not ${threshold}`);
  if (secret.length === 0) throw shamirError('cannot split an empty secret');

  const shares = Array.from({ length: parts }, (_, index) => {
    const share = new Uint8Array(secret.length + 1);
    share[secret.length] = index + 1;
    return share;
  });
  const coefficients = new Uint8Array(threshold);
  for (let byte = 0; byte < secret.length; byte++) {
    const randomCoefficients = random(threshold - 1);
    if (randomCoefficients.length !== threshold - 1) {
      throw shamirError('the random source returned the wrong number of bytes');
    }
    coefficients[0] = secret[byte]!;
    coefficients.set(randomCoefficients, 1);
    randomCoefficients.fill(0);
    for (const share of shares) share[byte] = evaluate(coefficients, share[secret.length]!);
  }
  coefficients.fill(0);
  return shares;
}

/**
 * Rebuilds a secret from shares made by splitSecret. Any set of at least `threshold` distinct shares gives the
 * secret; fewer give an unrelated value (not an error: the threshold is not recorded in the shares).
 */
export function combineShares(shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw shamirError('at least two shares are needed to rebuild the secret');
  const length = shares[0]!.length;
  if (length < 2) throw shamirError('a share must be at least two bytes long');
  if (shares.some((share) => share.length !== length)) {
    throw shamirError('all shares must have the same length');
  }
  const xs = shares.map((share) => share[length - 1]!);
  if (xs.includes(0)) throw shamirError('a share has x coordinate 0, which no split produces');
  if (new Set(xs).size !== xs.length) throw shamirError('two shares have the same x coordinate');

  // The Lagrange basis at 0 depends only on the x coordinates, which are public.
  const basis = xs.map((xi, i) => {
    let product = 1;
    xs.forEach((xj, j) => {
      if (i !== j) product = gfMultiply(product, gfDivide(xj, gfAdd(xi, xj)));
    });
    return product;
  });
  const secret = new Uint8Array(length - 1);
  for (let byte = 0; byte < secret.length; byte++) {
    let value = 0;
    shares.forEach((share, i) => {
      value = gfAdd(value, gfMultiply(share[byte]!, basis[i]!));
    });
    secret[byte] = value;
  }
  return secret;
}
