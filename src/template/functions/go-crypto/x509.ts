/**
 * X.509 certificates as far as the template functions need Go's crypto/x509: parsing the fields they read
 * (subject, key identifiers, subject alternative names, the public key), printing names as pkix.Name.String()
 * does, and Go's net.IP and url.URL text forms for SANs.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  Asn1Error,
  TAG,
  children,
  parseDer,
  readBitString,
  readOctetString,
  readOid,
  sequence,
  type Der,
} from './der.ts';

export const EXTENSION = {
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

export interface NameAttribute {
  readonly type: string;
  /** The value's DER (string types are read as text for printing). */
  readonly value: Der;
}

export interface Certificate {
  readonly raw: Uint8Array;
  readonly subjectRaw: Uint8Array;
  readonly issuerRaw: Uint8Array;
  /** The RDN sequence: each RDN is a set of attributes. */
  readonly subject: readonly (readonly NameAttribute[])[];
  readonly spki: Uint8Array;
  readonly subjectKeyId: Uint8Array | undefined;
  readonly authorityKeyId: Uint8Array | undefined;
  readonly dnsNames: readonly string[];
  readonly emailAddresses: readonly string[];
  readonly ipAddresses: readonly Uint8Array[];
  readonly uris: readonly string[];
}

export class CertificateError extends Error {}

/** Go's x509.ParseCertificate, for the fields above; its errors say "x509: malformed certificate". */
export function parseCertificate(der: Uint8Array): Certificate {
  try {
    return parse(der);
  } catch (error) {
    if (error instanceof CertificateError) throw error;
    if (error instanceof Asn1Error) throw new CertificateError('x509: malformed certificate');
    throw error;
  }
}

function parse(der: Uint8Array): Certificate {
  const top = parseDer(der, 'x509: trailing data');
  const [tbs, algorithm, signature] = sequence(top);
  if (!tbs || !algorithm || !signature) throw new CertificateError('x509: malformed certificate');
  const fields = sequence(tbs);
  let index = 0;
  if (fields[0]?.tag === 0xa0) index++;
  const [, , issuer, validity, subject, spki] = fields.slice(index);
  if (!issuer || !validity || !subject || !spki)
    throw new CertificateError('x509: malformed tbs certificate');
  let subjectKeyId: Uint8Array | undefined;
  let authorityKeyId: Uint8Array | undefined;
  const dnsNames: string[] = [];
  const emailAddresses: string[] = [];
  const ipAddresses: Uint8Array[] = [];
  const uris: string[] = [];
  const extensions = fields.slice(index + 6).find((field) => field.tag === 0xa3);
  if (extensions) {
    for (const extension of sequence(children(extensions)[0])) {
      const parts = sequence(extension);
      const id = readOid(parts[0]);
      const value = readOctetString(parts[parts.length - 1]);
      if (id === EXTENSION.subjectKeyId) subjectKeyId = readOctetString(parseDer(value));
      if (id === EXTENSION.authorityKeyId) {
        // Go keeps the key identifier only when it is not empty (nil otherwise).
        const keyId = sequence(parseDer(value)).find((item) => item.tag === 0x80);
        authorityKeyId = keyId && keyId.value.length > 0 ? keyId.value : undefined;
      }
      if (id === EXTENSION.subjectAltName) {
        for (const name of sequence(parseDer(value))) {
          const text = Buffer.from(name.value).toString('latin1');
          switch (name.tag) {
            case 0x82:
              dnsNames.push(text);
              break;
            case 0x81:
              emailAddresses.push(text);
              break;
            case 0x87:
              if (name.value.length !== 4 && name.value.length !== 16)
                throw new CertificateError(`x509: cannot parse IP address of length ${name.value.length}`);
              ipAddresses.push(name.value);
              break;
            case 0x86:
              uris.push(text);
              break;
          }
        }
      }
    }
  }
  return {
    raw: top.raw,
    subjectRaw: subject.raw,
    issuerRaw: issuer.raw,
    subject: sequence(subject).map((rdn) =>
      sequence(rdn).map((attribute) => {
        const [type, value] = sequence(attribute);
        return { type: readOid(type), value: value! };
      }),
    ),
    spki: spki.raw,
    subjectKeyId,
    authorityKeyId,
    dnsNames,
    emailAddresses,
    ipAddresses,
    uris,
  };
}

export function certificatePublicKey(certificate: Certificate): KeyObject {
  return createPublicKey({ key: Buffer.from(certificate.spki), format: 'der', type: 'spki' });
}

/** The subjectPublicKey BIT STRING's bytes. */
export function spkiKeyBits(spki: Uint8Array): Uint8Array {
  return readBitString(sequence(parseDer(spki))[1]).bytes;
}

// -- names -----------------------------------------------------------------------------------------------------

const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.6': 'C',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.17': 'POSTALCODE',
};

/** The order pkix.Name.ToRDNSequence writes the attributes it parses into fields. */
const FIELD_ORDER = [
  '2.5.4.6',
  '2.5.4.8',
  '2.5.4.7',
  '2.5.4.9',
  '2.5.4.17',
  '2.5.4.10',
  '2.5.4.11',
  '2.5.4.3',
  '2.5.4.5',
];

const STRING_TAGS = new Set<number>([
  TAG.UTF8_STRING,
  TAG.PRINTABLE_STRING,
  TAG.T61_STRING,
  TAG.IA5_STRING,
  0x1a, // VisibleString
  0x12, // NumericString
  TAG.BMP_STRING,
]);

function attributeText(value: Der): string | undefined {
  if (!STRING_TAGS.has(value.tag)) return undefined;
  if (value.tag === TAG.BMP_STRING) {
    let out = '';
    for (let i = 0; i + 1 < value.value.length; i += 2)
      out += String.fromCharCode((value.value[i]! << 8) | value.value[i + 1]!);
    return out;
  }
  return Buffer.from(value.value).toString(value.tag === TAG.UTF8_STRING ? 'utf8' : 'latin1');
}

/**
 * pkix.Name.String() of a parsed subject: attributes Go knows are regrouped in its field order (all values of
 * one type in one RDN), the others come first in the sequence, hence last in the string; printed last RDN first.
 */
export function nameString(rdns: readonly (readonly NameAttribute[])[]): string {
  const known = new Map<string, string[]>();
  const sequenceOut: { type: string; text: string | undefined; value: Der }[][] = [];
  for (const rdn of rdns) {
    for (const attribute of rdn) {
      const text = attributeText(attribute.value);
      if (ATTRIBUTE_NAMES[attribute.type] !== undefined && text !== undefined) {
        // CN and SERIALNUMBER keep one value (the last); the others collect every value.
        const single = attribute.type === '2.5.4.3' || attribute.type === '2.5.4.5';
        const values = known.get(attribute.type) ?? [];
        known.set(attribute.type, single ? [text] : [...values, text]);
      } else {
        sequenceOut.push([{ type: attribute.type, text, value: attribute.value }]);
      }
    }
  }
  for (const type of FIELD_ORDER) {
    const values = (known.get(type) ?? []).filter((value) => type !== '2.5.4.3' || value !== '');
    if (values.length === 0) continue;
    sequenceOut.push(
      values.map((text) => ({
        type,
        text,
        value: { tag: 0, value: new Uint8Array(), raw: new Uint8Array() },
      })),
    );
  }
  const parts: string[] = [];
  for (let i = sequenceOut.length - 1; i >= 0; i--) {
    parts.push(
      sequenceOut[i]!.map(({ type, text, value }) => {
        const name = ATTRIBUTE_NAMES[type];
        if (name === undefined) return `${type}=#${Buffer.from(value.raw).toString('hex')}`;
        return `${name}=${escapeValue(text ?? '')}`;
      }).join('+'),
    );
  }
  return parts.join(',');
}

function escapeValue(value: string): string {
  const runes = [...value];
  return runes
    .map((c, k) => {
      let escape = false;
      if (',+"\\<>;'.includes(c)) escape = true;
      else if (c === ' ') escape = k === 0 || k === runes.length - 1;
      else if (c === '#') escape = k === 0;
      return escape ? `\\${c}` : c;
    })
    .join('');
}

// -- IP addresses ---------------------------------------------------------------------------------------------

/** Go's net.ParseIP: dotted IPv4 (no leading zeros) or IPv6 (no zone); 16 bytes, IPv4 mapped. */
export function parseIp(text: string): Uint8Array | undefined {
  const v4 = parseIpv4(text);
  if (v4) return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]);
  return parseIpv6(text);
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part.startsWith('0'))) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    out.push(value);
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let head = text;
  let tailV4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tailV4 = v4;
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::') && head.endsWith(':')) head = head.slice(0, -1);
  }
  const groupsNeeded = 8 - tailV4.length / 2;
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: number[] = [];
    for (const group of groups) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(group)) return undefined;
      out.push(parseInt(group, 16));
    }
    return out;
  };
  const left = parseGroups(halves[0]!);
  const right = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!left || !right) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const fill = groupsNeeded - left.length - right.length;
    if (fill < 1) return undefined;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== groupsNeeded) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((group, i) => {
    out[i * 2] = group >> 8;
    out[i * 2 + 1] = group & 0xff;
  });
  out.set(tailV4, 12);
  return out;
}

/** Go's net.IP.To4: the IPv4 form of a 4-byte or IPv4-mapped 16-byte address. */
export function ipTo4(ip: Uint8Array): Uint8Array | undefined {
  if (ip.length === 4) return ip;
  if (ip.length === 16 && ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff)
    return ip.subarray(12);
  return undefined;
}

/** Go's net.IP.String(). */
export function ipString(ip: Uint8Array): string {
  const v4 = ipTo4(ip);
  if (v4) return [...v4].join('.');
  if (ip.length !== 16) return `?${Buffer.from(ip).toString('hex')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i]! << 8) | ip[i + 1]!);
  // The longest run of two or more zero groups becomes "::" (the first one on ties).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
