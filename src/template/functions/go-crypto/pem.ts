/**
 * Go's encoding/pem (Go 1.23) on byte strings (one code unit per byte, as template strings are): Decode's
 * exact rules for where a block starts, which lines are headers, when an END line matches and what `rest`
 * is; Encode's 64-column base64 with headers sorted (Proc-Type first). Template functions pass user text
 * straight to these, so the corner cases are Go's, not a tidier parser's.
 */
import { decodeStdBase64 } from '../../../manifests/base64.ts';

export interface PemBlock {
  readonly type: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly bytes: Uint8Array;
}

const PEM_START = '\n-----BEGIN ';
const PEM_END = '\n-----END ';
const PEM_END_OF_LINE = '-----';

/** A line without its newline (and a "\r" before it) and trailing spaces and tabs; and what follows it. */
function getLine(data: string): [line: string, rest: string] {
  const newline = data.indexOf('\n');
  let end: number;
  let next: number;
  if (newline < 0) {
    end = data.length;
    next = end;
  } else {
    next = newline + 1;
    end = newline > 0 && data[newline - 1] === '\r' ? newline - 1 : newline;
  }
  return [data.slice(0, end).replace(/[ \t]+$/, ''), data.slice(next)];
}

/**
 * The first PEM block in `data` and the bytes after it; `undefined` and all of `data` when there is none
 * (Go's `pem.Decode` returning nil).
 */
export function pemDecode(data: string): [PemBlock | undefined, string] {
  let rest = data;
  for (;;) {
    if (rest.startsWith(PEM_START.slice(1))) {
      rest = rest.slice(PEM_START.length - 1);
    } else {
      const at = rest.indexOf(PEM_START);
      if (at < 0) return [undefined, data];
      rest = rest.slice(at + PEM_START.length);
    }
    let typeLine: string;
    [typeLine, rest] = getLine(rest);
    if (!typeLine.endsWith(PEM_END_OF_LINE)) continue;
    typeLine = typeLine.slice(0, -PEM_END_OF_LINE.length);

    const headers = new Map<string, string>();
    let truncated = false;
    for (;;) {
      if (rest.length === 0) {
        truncated = true;
        break;
      }
      const [line, next] = getLine(rest);
      const colon = line.indexOf(':');
      if (colon < 0) break;
      headers.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      rest = next;
    }
    if (truncated) return [undefined, data];

    let endIndex: number;
    let endTrailerIndex: number;
    if (headers.size === 0 && rest.startsWith(PEM_END.slice(1))) {
      endIndex = 0;
      endTrailerIndex = PEM_END.length - 1;
    } else {
      endIndex = rest.indexOf(PEM_END);
      endTrailerIndex = endIndex + PEM_END.length;
    }
    if (endIndex < 0) continue;

    let endTrailer = rest.slice(endTrailerIndex);
    const endTrailerLength = typeLine.length + PEM_END_OF_LINE.length;
    if (endTrailer.length < endTrailerLength) continue;
    const restOfEndLine = endTrailer.slice(endTrailerLength);
    endTrailer = endTrailer.slice(0, endTrailerLength);
    if (!endTrailer.startsWith(typeLine) || !endTrailer.endsWith(PEM_END_OF_LINE)) continue;
    if (getLine(restOfEndLine)[0].length !== 0) continue;

    let bytes: Uint8Array;
    try {
      bytes = decodeStdBase64(rest.slice(0, endIndex).replace(/[ \t]/g, ''));
    } catch {
      continue;
    }
    [, rest] = getLine(rest.slice(endIndex + PEM_END.length - 1));
    return [{ type: typeLine, headers, bytes }, rest];
  }
}

/** Go's `pem.EncodeToMemory` as a byte string. */
export function pemEncode(block: {
  type: string;
  bytes: Uint8Array;
  headers?: ReadonlyMap<string, string>;
}): string {
  let out = `-----BEGIN ${block.type}-----\n`;
  const headers = block.headers ?? new Map<string, string>();
  if (headers.size > 0) {
    const procType = headers.get('Proc-Type');
    if (procType !== undefined) out += `Proc-Type: ${procType}\n`;
    const keys = [...headers.keys()]
      .filter((key) => key !== 'Proc-Type')
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) out += `${key}: ${headers.get(key)}\n`;
    out += '\n';
  }
  const base64 = Buffer.from(block.bytes).toString('base64');
  for (let i = 0; i < base64.length; i += 64) out += `${base64.slice(i, i + 64)}\n`;
  return `${out}-----END ${block.type}-----\n`;
}

/** Whether Go's `pem.Encode` refuses the block (a header key containing a colon). */
export function pemHeadersEncodable(block: PemBlock): boolean {
  return [...block.headers.keys()].every((key) => !key.includes(':'));
}
