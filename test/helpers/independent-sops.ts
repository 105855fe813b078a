/**
 * An independent SOPS reader written for the tests from the format description alone (no code from src/):
 * ENC[AES256_GCM,data,iv,tag,type] values are AES-256-GCM under the data key with the key path joined by ':'
 * plus a trailing ':' as additional data (list indices left out); the MAC is an upper-case hex SHA-512 over
 * the plaintext bytes of the values in document order, stored encrypted with `lastmodified` as additional
 * data; with several key groups the data key is Shamir-split in GF(2^8) (AES polynomial), share = y ‖ x.
 */
import { execFileSync } from 'node:child_process';
import { createDecipheriv, createHash } from 'node:crypto';

export interface OpenedValue {
  type: string;
  bytes: Buffer;
}

export function openEncValue(value: string, dataKey: Buffer, additionalData: string): OpenedValue {
  const match = /^ENC\[AES256_GCM,data:(.*),iv:(.*),tag:(.*),type:(.*)\]$/.exec(value);
  if (!match) throw new Error(`not an ENC value: ${value.slice(0, 30)}`);
  const [, data = '', iv = '', tag = '', type = ''] = match;
  const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(iv, 'base64'));
  decipher.setAAD(Buffer.from(additionalData));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return { type, bytes: Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]) };
}

export interface Leaf {
  path: string[];
  value: unknown;
}

/** Leaves of a plain JS document (as parsed from YAML or JSON), in document order, `sops` excluded. */
export function leaves(document: Record<string, unknown>): Leaf[] {
  const out: Leaf[] = [];
  const walk = (value: unknown, path: string[]): void => {
    if (Array.isArray(value)) value.forEach((item) => walk(item, path));
    else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value))
        if (!(path.length === 0 && key === 'sops')) walk(item, [...path, key]);
    } else if (value !== null && value !== undefined) out.push({ path, value });
  };
  walk(document, []);
  return out;
}

export interface IndependentResult {
  /** Decrypted plaintext per path "a:b" (lists give several entries under one path). */
  plaintexts: Map<string, string[]>;
  macOk: boolean;
}

/**
 * Decrypts every ENC value of a document and checks the MAC. Clear values must be strings (the tests keep
 * them so): their bytes are hashed as they are.
 */
export function openDocumentIndependently(
  document: Record<string, unknown>,
  dataKey: Buffer,
  sops: { mac: string; lastmodified: string },
): IndependentResult {
  const hash = createHash('sha512');
  const plaintexts = new Map<string, string[]>();
  for (const { path, value } of leaves(document)) {
    const key = path.join(':');
    let bytes: Buffer;
    if (typeof value === 'string' && value.startsWith('ENC['))
      bytes = openEncValue(value, dataKey, `${key}:`).bytes;
    else if (typeof value === 'string') bytes = Buffer.from(value);
    else throw new Error(`clear non-string value at ${key}`);
    hash.update(bytes);
    plaintexts.set(key, [...(plaintexts.get(key) ?? []), bytes.toString('utf8')]);
  }
  const stored = openEncValue(sops.mac, dataKey, sops.lastmodified).bytes.toString('utf8');
  return { plaintexts, macOk: stored === hash.digest('hex').toUpperCase() };
}

/** The data key from an age `enc`, opened by the real age CLI. */
export function ageDataKey(armored: string, identityFile: string): Buffer {
  return execFileSync('age', ['-d', '-i', identityFile], { input: armored });
}

// GF(2^8) with the AES polynomial, written out from its definition.
function multiply(a: number, b: number): number {
  let product = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) product ^= a;
    const carry = a & 0x80;
    a = (a << 1) & 0xff;
    if (carry) a ^= 0x1b;
    b >>= 1;
  }
  return product;
}

function inverse(a: number): number {
  for (let candidate = 1; candidate < 256; candidate++) if (multiply(a, candidate) === 1) return candidate;
  throw new Error('no inverse of 0');
}

/** Lagrange interpolation at 0 of shares y-bytes ‖ x. */
export function combineSharesIndependently(shares: readonly Buffer[]): Buffer {
  const xs = shares.map((share) => share[share.length - 1] as number);
  const length = (shares[0]?.length ?? 1) - 1;
  const secret = Buffer.alloc(length);
  for (let byte = 0; byte < length; byte++) {
    let value = 0;
    shares.forEach((share, i) => {
      let basis = 1;
      xs.forEach((xj, j) => {
        if (i !== j) basis = multiply(basis, multiply(xj, inverse((xs[i] as number) ^ xj)));
      });
      value ^= multiply(share[byte] as number, basis);
    });
    secret[byte] = value;
  }
  return secret;
}
