/**
 * External Secrets' PEM helpers: filterPEM, filterCertChain, certSANs, and the chain ordering pkcs12cert
 * also uses (leaf → intermediates → root by AuthorityKeyId/SubjectKeyId; no signature checks, as ESO's).
 */
import { defineFunction } from '../../functions.ts';
import { GoFuncError } from '../../errors.ts';
import { goStringList, type GoValue } from '../../values.ts';
import type { ByteString } from '../../../common/go-utf8.ts';
import { equalBytes } from '../go-crypto/der.ts';
import { pemDecode, pemEncode } from '../go-crypto/pem.ts';
import { ipString, parseCertificate, type Certificate } from '../go-crypto/x509.ts';

const fail = (message: string): never => {
  throw new GoFuncError(message);
};

/** What Go 1.23's pem.Decode skipped before a block, ESO does itself since Go 1.26 stopped doing it. */
export function trimJunk(input: ByteString): ByteString {
  const index = input.indexOf('-----BEGIN');
  return index < 0 ? input : input.slice(index);
}

export function pemCertificate(certificate: Certificate): ByteString {
  return pemEncode({ type: 'CERTIFICATE', bytes: certificate.raw });
}

function parseOrFail(bytes: Uint8Array): Certificate {
  try {
    return parseCertificate(bytes);
  } catch (error) {
    return fail((error as Error).message);
  }
}

interface ChainNode {
  readonly cert: Certificate;
  parent: ChainNode | undefined;
  isParent: boolean;
}

/**
 * ESO's fetchX509CertChains: every PEM block must be a certificate; each certificate's parent is the first
 * other one whose SubjectKeyId equals its AuthorityKeyId (absent ones compare equal, as Go's bytes.Equal of
 * nil slices); exactly one certificate may be nobody's parent, the leaf.
 */
export function orderChain(input: ByteString): Certificate[] {
  const nodes: ChainNode[] = [];
  let rest = input;
  for (;;) {
    const [block, next] = pemDecode(rest);
    rest = next;
    if (!block) break;
    nodes.push({ cert: parseOrFail(block.bytes), parent: undefined, isParent: false });
  }
  for (const [i, node] of nodes.entries()) {
    for (const [j, other] of nodes.entries()) {
      if (i === j) continue;
      if (equalBytes(node.cert.authorityKeyId, other.cert.subjectKeyId)) {
        other.isParent = true;
        node.parent = other;
        break;
      }
    }
  }
  let leaf: ChainNode | undefined;
  for (const node of nodes) {
    if (node.isParent) continue;
    if (leaf) fail('found multiple leaf or disjunct certificates');
    leaf = node;
  }
  if (!leaf) return fail('no leaf certificate found');
  const chain: Certificate[] = [];
  for (let node: ChainNode | undefined = leaf; node; node = node.parent) {
    if (chain.length >= nodes.length) fail('constructing chain resulted in cycle');
    chain.push(node.cert);
  }
  return chain;
}

function isRoot(certificate: Certificate): boolean {
  return (
    certificate.authorityKeyId === undefined ||
    equalBytes(certificate.authorityKeyId, certificate.subjectKeyId)
  );
}

export const filterPEM = defineFunction({
  name: 'filterPEM',
  params: ['string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([pemType, input], context) => {
    const wanted = (pemType as ByteString).toLowerCase();
    let data = trimJunk(input as ByteString);
    let out = '';
    let rest: ByteString;
    for (;;) {
      context.charge(1);
      const [block, next] = pemDecode(data);
      rest = next;
      data = next;
      if (!block) break;
      if (block.type.toLowerCase() !== wanted) continue;
      out += pemEncode(block);
    }
    if (out === '' && rest.length !== 0) fail('error filtering pem: found junk');
    return out;
  },
});

export const filterCertChain = defineFunction({
  name: 'filterCertChain',
  params: ['string', 'string'],
  result: 'string',
  returnsError: true,
  call: ([certType, input]) => {
    const ordered = orderChain(input as ByteString);
    switch (certType) {
      case 'leaf': {
        const leaf = ordered[0]!;
        if (leaf.authorityKeyId !== undefined && !equalBytes(leaf.authorityKeyId, leaf.subjectKeyId))
          return pemCertificate(leaf);
        return '';
      }
      case 'intermediate': {
        if (ordered.length < 2) return '';
        let out = '';
        for (const certificate of ordered.slice(1)) {
          if (isRoot(certificate)) break;
          out += pemCertificate(certificate);
        }
        return out;
      }
      case 'root': {
        const last = ordered[ordered.length - 1]!;
        return isRoot(last) ? pemCertificate(last) : '';
      }
      default:
        return '';
    }
  },
});

export const certSANs = defineFunction({
  name: 'certSANs',
  params: ['string'],
  result: '[]string',
  returnsError: true,
  call: ([input]): GoValue => {
    const [block] = pemDecode(trimJunk(input as ByteString));
    if (!block) return fail('failed to decode PEM block');
    let certificate: Certificate;
    try {
      certificate = parseCertificate(block.bytes);
    } catch (error) {
      return fail(`failed to parse certificate: ${(error as Error).message}`);
    }
    return goStringList([
      ...certificate.dnsNames,
      ...certificate.ipAddresses.map(ipString),
      ...certificate.emailAddresses,
      ...certificate.uris,
    ]);
  },
});
