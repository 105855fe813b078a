/** What `cloak keys` does (see keys.ts for the flags). */
import { parseGoDuration } from '../../common/duration.ts';
import { CloakError, UsageError } from '../../common/errors.ts';
import { canonicalSecret, type StringMap } from '../../kube/objects.ts';
import { formatObject } from '../../manifests/encode.ts';
import { KEY_SIZES } from '../../sealing/constants.ts';
import { certificateForKey, generateSealingKey, keySecret } from '../../sealing/keygen.ts';
import { Keyring } from '../../sealing/keyring.ts';
import { pemBlocks, publicKeyFingerprint, readCertificate } from '../../sealing/keys.ts';
import { readInputFile, writeOutput } from '../io.ts';
import { parseOutputFormat } from '../output.ts';
import type { CertFlags, FingerprintFlags, GenerateFlags } from './keys.ts';
import { readKeyFiles } from './unseal-run.ts';

export async function runGenerate(flags: GenerateFlags): Promise<void> {
  const bits = parseBits(flags.bits);
  const format = flags.output && /\.ya?ml$/.test(flags.output) ? 'yaml' : parseOutputFormat(flags.format);
  const validityMs = parseTtl(flags.ttl);
  const key = await generateSealingKey({ bits, commonName: flags.cn, validityMs, now: new Date() });
  const secret = keySecret(key, {
    namespace: flags.namespace,
    prefix: flags.prefix,
    labels: parsePairs(flags.labels, '--labels'),
    annotations: parsePairs(flags.annotations, '--annotations'),
  });
  await writeOutput(formatObject(canonicalSecret(secret), format), flags.output, 0o600);
}

export async function runCert(flags: CertFlags): Promise<void> {
  const newest = new Keyring(await readKeyFiles([flags.file])).newest;
  if (!newest) throw new CloakError('ERR_KEY_PARSE', `${flags.file}: no private key found`);
  let certificate = newest.certificatePem;
  if (!certificate) {
    const validityMs = parseTtl(flags.ttl);
    certificate = await certificateForKey(newest.privateKey, {
      commonName: flags.cn,
      validityMs,
      now: new Date(),
    });
    process.stderr.write(
      `note: ${newest.source} holds no certificate; made a new self-signed one for its key\n`,
    );
  }
  await writeOutput(certificate, flags.output);
}

export async function runFingerprint(flags: FingerprintFlags): Promise<void> {
  const lines: string[] = [];
  for (const file of flags.file) lines.push(...(await fingerprintsOf(file)));
  await writeOutput(`${lines.join('\n')}\n`);
}

async function fingerprintsOf(file: string): Promise<string[]> {
  const text = (await readInputFile(file)).toString('utf8');
  const blocks = pemBlocks(text);
  const onlyCertificates = blocks.length > 0 && blocks.every((block) => block.type === 'CERTIFICATE');
  if (onlyCertificates) {
    return blocks.map(
      (block) => `${publicKeyFingerprint(readCertificate(block.text, file).publicKey)} ${file}`,
    );
  }
  return (await readKeyFiles([file])).map((key) => `${key.fingerprint} ${key.source}`);
}

function parseBits(value: string): number {
  const bits = Number(value);
  if (!(KEY_SIZES as readonly number[]).includes(bits)) {
    throw new UsageError(`unsupported key size ${value}: use ${KEY_SIZES.join(', ')}`);
  }
  return bits;
}

function parseTtl(value: string): number {
  const ms = parseGoDuration(value, '--ttl');
  if (ms <= 0) throw new UsageError(`--ttl must be positive, not "${value}"`);
  return ms;
}

function parsePairs(value: string | undefined, flag: string): StringMap | undefined {
  if (!value) return undefined;
  const pairs: StringMap = {};
  for (const pair of value.split(',')) {
    const equals = pair.indexOf('=');
    if (equals <= 0)
      throw new UsageError(`${flag} expects key=value pairs separated by commas, not "${pair}"`);
    pairs[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return pairs;
}
