/** Go sorts strings by their UTF-8 bytes; for JavaScript's UTF-16 strings that is code point order. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
