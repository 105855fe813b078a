import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  combineShares,
  gfAdd,
  gfDivide,
  gfInverse,
  gfMultiply,
  splitSecret,
  type RandomSource,
} from '../../src/sops/shamir.ts';

/** A reproducible random source (xorshift32), so failures can be replayed. */
function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0 || 1;
  return (length) => {
    const bytes = new Uint8Array(length);
    for (let index = 0; index < length; index++) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      bytes[index] = state & 0xff;
    }
    return bytes;
  };
}

/** Schoolbook GF(2^8) product: carry-less multiply, then reduce by x^8+x^4+x^3+x+1 (0x11b). */
function naiveMultiply(a: number, b: number): number {
  let product = 0;
  for (let bit = 0; bit < 8; bit++) if ((b >> bit) & 1) product ^= a << bit;
  for (let bit = 14; bit >= 8; bit--) if ((product >> bit) & 1) product ^= 0x11b << (bit - 8);
  return product;
}

function subsets<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let mask = 1; mask < 1 << items.length; mask++) {
    result.push(items.filter((_, index) => (mask >> index) & 1));
  }
  return result;
}

const KEY = Uint8Array.from({ length: 32 }, (_, index) => (index * 37 + 11) & 0xff);

test('GF(2^8) known answers from FIPS-197 (the AES field)', () => {
  assert.equal(gfMultiply(0x57, 0x83), 0xc1);
  assert.equal(gfMultiply(0x57, 0x13), 0xfe);
  assert.equal(gfMultiply(0x57, 0x02), 0xae);
  assert.equal(gfMultiply(0x57, 0x04), 0x47);
  assert.equal(gfMultiply(0x57, 0x08), 0x8e);
  assert.equal(gfMultiply(0x57, 0x10), 0x07);
  assert.equal(gfInverse(0x53), 0xca);
  assert.equal(gfInverse(0x01), 0x01);
  assert.equal(gfAdd(0x57, 0x83), 0xd4);
  assert.equal(gfDivide(0xc1, 0x83), 0x57);
});

test('GF(2^8) multiplication matches a schoolbook implementation on every pair; every inverse works', () => {
  for (let a = 0; a < 256; a++) {
    for (let b = 0; b < 256; b++) assert.equal(gfMultiply(a, b), naiveMultiply(a, b), `${a}·${b}`);
    if (a !== 0) assert.equal(gfMultiply(a, gfInverse(a)), 1, `inverse of ${a}`);
  }
  assert.equal(gfInverse(0), 0);
  assert.throws(() => gfDivide(5, 0), { code: 'ERR_SOPS_SHAMIR' });
});

test('a hand-computed split: secret 0x01, threshold 2, coefficient 0x02 gives p(x) = 1 + 2x', () => {
  const shares = splitSecret(Uint8Array.of(0x01), 3, 2, (length) => new Uint8Array(length).fill(0x02));
  assert.deepEqual(
    shares.map((share) => [...share]),
    [
      [0x03, 1],
      [0x05, 2],
      [0x07, 3],
    ],
  );
  assert.deepEqual([...combineShares([shares[0]!, shares[2]!])], [0x01]);
});

test('shares are y-bytes followed by x = i + 1; a 32-byte key gives 33-byte shares', () => {
  const shares = splitSecret(KEY, 5, 3, seededRandom(7));
  assert.equal(shares.length, 5);
  shares.forEach((share, index) => {
    assert.equal(share.length, 33);
    assert.equal(share[32], index + 1);
  });
  // The y bytes are not the key itself (with these coefficients no share leaks it).
  for (const share of shares) assert.notDeepEqual([...share.subarray(0, 32)], [...KEY]);
});

test('every subset of at least threshold shares rebuilds the key; smaller subsets give something else', () => {
  for (const [parts, threshold] of [
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
    [5, 5],
  ] as const) {
    const shares = splitSecret(KEY, parts, threshold, seededRandom(parts * 31 + threshold));
    for (const subset of subsets(shares)) {
      if (subset.length >= threshold) {
        assert.deepEqual(
          [...combineShares(subset)],
          [...KEY],
          `${subset.length} of ${parts}, threshold ${threshold}`,
        );
      } else if (subset.length >= 2) {
        assert.notDeepEqual(
          [...combineShares(subset)],
          [...KEY],
          `${subset.length} of ${parts} must not suffice`,
        );
      }
    }
  }
});

test('the default random source is used when none is given, and order of shares does not matter', () => {
  const first = splitSecret(KEY, 3, 2);
  const second = splitSecret(KEY, 3, 2);
  assert.notDeepEqual(first, second, 'fresh coefficients each time');
  assert.deepEqual([...combineShares([first[2]!, first[0]!])], [...KEY]);
  assert.deepEqual([...combineShares([second[1]!, second[2]!])], [...KEY]);
});

test('split rejects bad parameters', () => {
  const random = seededRandom(1);
  assert.throws(() => splitSecret(KEY, 2, 3, random), { code: 'ERR_SOPS_SHAMIR', message: /threshold of 3/ });
  assert.throws(() => splitSecret(KEY, 256, 2, random), { code: 'ERR_SOPS_SHAMIR', message: /255/ });
  assert.throws(() => splitSecret(KEY, 3, 1, random), { code: 'ERR_SOPS_SHAMIR', message: /at least 2/ });
  assert.throws(() => splitSecret(new Uint8Array(0), 3, 2, random), {
    code: 'ERR_SOPS_SHAMIR',
    message: /empty/,
  });
  assert.throws(() => splitSecret(KEY, 2.5, 2, random), { code: 'ERR_SOPS_SHAMIR' });
  assert.throws(() => splitSecret(KEY, 3, 2, () => new Uint8Array(0)), { code: 'ERR_SOPS_SHAMIR' });
  assert.equal(splitSecret(KEY, 255, 255, random).length, 255);
});

test('combine rejects too few, uneven, duplicate or x = 0 shares', () => {
  const shares = splitSecret(KEY, 3, 2, seededRandom(3));
  assert.throws(() => combineShares([shares[0]!]), { code: 'ERR_SOPS_SHAMIR', message: /at least two/ });
  assert.throws(() => combineShares([]), { code: 'ERR_SOPS_SHAMIR' });
  assert.throws(() => combineShares([Uint8Array.of(1), Uint8Array.of(2)]), { message: /two bytes/ });
  assert.throws(() => combineShares([shares[0]!, shares[1]!.subarray(1)]), { message: /same length/ });
  assert.throws(() => combineShares([shares[0]!, shares[0]!]), { message: /same x/ });
  const zero = Uint8Array.from(shares[1]!);
  zero[32] = 0;
  assert.throws(() => combineShares([shares[0]!, zero]), { message: /x coordinate 0/ });
});
