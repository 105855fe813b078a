/**
 * IP addresses as Go's net.IP classifies them (IsLoopback, IsUnspecified, IsLinkLocalUnicast,
 * IsLinkLocalMulticast), for endpoint validation and for the service proxy's loopback rule. IPv4-mapped IPv6
 * addresses (`::ffff:127.0.0.1`) count as the IPv4 address they carry, as in Go. Pure.
 */
import { isIP } from 'node:net';

export interface ParsedIp {
  family: 4 | 6;
  /** 16 bytes; an IPv4 address in its IPv4-mapped form, as Go holds it. */
  bytes: readonly number[];
}

export function parseIp(text: string): ParsedIp | undefined {
  if (text.includes('%')) return undefined; // Go's ParseIP takes no zone
  const family = isIP(text);
  if (family === 4) return { family, bytes: [...V4_PREFIX, ...v4Bytes(text)] };
  if (family === 6) return { family, bytes: v6Bytes(text) };
  return undefined;
}

const V4_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function v4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

function v6Bytes(text: string): number[] {
  let rest = text;
  let tail: number[] = [];
  const lastColon = rest.lastIndexOf(':');
  if (rest.slice(lastColon + 1).includes('.')) {
    tail = v4Bytes(rest.slice(lastColon + 1));
    rest = `${rest.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', after] = rest.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = after === undefined ? [] : groups(after);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = words.flatMap((word) => [word >> 8, word & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** The IPv4 bytes when the address is IPv4 or IPv4-mapped. */
function v4Of(ip: ParsedIp): readonly number[] | undefined {
  return V4_PREFIX.every((byte, i) => ip.bytes[i] === byte) ? ip.bytes.slice(12) : undefined;
}

export function isLoopback(ip: ParsedIp): boolean {
  const v4 = v4Of(ip);
  if (v4) return v4[0] === 127;
  return ip.bytes.every((byte, i) => byte === (i === 15 ? 1 : 0));
}

export function isUnspecified(ip: ParsedIp): boolean {
  const v4 = v4Of(ip);
  return (v4 ?? ip.bytes).every((byte) => byte === 0);
}

export function isLinkLocalUnicast(ip: ParsedIp): boolean {
  const v4 = v4Of(ip);
  if (v4) return v4[0] === 169 && v4[1] === 254;
  return ip.bytes[0] === 0xfe && ((ip.bytes[1] ?? 0) & 0xc0) === 0x80;
}

export function isLinkLocalMulticast(ip: ParsedIp): boolean {
  const v4 = v4Of(ip);
  if (v4) return v4[0] === 224 && v4[1] === 0 && v4[2] === 0;
  return ip.bytes[0] === 0xff && ((ip.bytes[1] ?? 0) & 0x0f) === 0x02;
}

/** Whether the service proxy may connect to this address: 127.0.0.0/8 or ::1 only. */
export function isLoopbackAddress(text: string): boolean {
  const ip = parseIp(text);
  return ip !== undefined && isLoopback(ip);
}
