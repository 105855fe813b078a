import { CloakError } from '../common/errors.ts';

const STD_ALPHABET = /^[A-Za-z0-9+/]$/;
const VALID_STD = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes standard, padded base64 as Go's `base64.StdEncoding.DecodeString` does: line breaks are ignored,
 * anything else outside the `+/` alphabet, a missing `=` or a truncated quantum is an error. Node's own
 * decoder silently skips bad characters, which would turn a corrupted value into different bytes.
 */
export function decodeStdBase64(text: string): Buffer {
  const compact = text.replace(/[\r\n]/g, '');
  const invalidAt = firstInvalidPosition(compact);
  if (invalidAt !== undefined) {
    throw new CloakError('ERR_BASE64', `illegal base64 data at input byte ${invalidAt}`);
  }
  return Buffer.from(compact, 'base64');
}

function firstInvalidPosition(text: string): number | undefined {
  // Valid input (almost all of it) is checked in one pass; the position is only looked for on failure.
  if (text.length % 4 === 0 && VALID_STD.test(text)) return undefined;
  let padding = text.indexOf('=');
  if (padding === -1) padding = text.length;
  for (let i = 0; i < padding; i++) {
    if (!STD_ALPHABET.test(text[i] ?? '')) return i;
  }
  for (let i = padding; i < text.length; i++) {
    if (text[i] !== '=') return i;
  }
  if (text.length - padding > 2) return padding + 2;
  // With at most two '=' at the very end, a whole number of quanta is all that is left to check.
  if (text.length % 4 !== 0) return text.length - (text.length % 4);
  return undefined;
}

export function encodeStdBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
