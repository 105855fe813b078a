/** `cloak keys`: make sealing keys as the controller makes them, and inspect key files and certificates. */
import type { Command } from 'commander';
import { parseGoDuration } from '../../common/duration.ts';
import { CloakError, UsageError } from '../../common/errors.ts';
import { canonicalSecret, type StringMap } from '../../kube/objects.ts';
import { formatObject } from '../../manifests/encode.ts';
import {
  certificateForKey,
  DEFAULT_KEY_BITS,
  DEFAULT_KEY_PREFIX,
  generateSealingKey,
  KEY_SIZES,
  keySecret,
} from '../../sealing/keygen.ts';
import { Keyring } from '../../sealing/keyring.ts';
import { pemBlocks, publicKeyFingerprint, readCertificate } from '../../sealing/keys.ts';
import { readInputFile, writeOutput } from '../io.ts';
import { parseOutputFormat } from '../output.ts';
import { readKeyFiles } from './unseal.ts';

interface GenerateFlags {
  bits: string;
  cn: string;
  ttl: string;
  namespace: string;
  prefix: string;
  labels?: string;
  annotations?: string;
  format: string;
  output?: string;
}

interface CertFlags {
  file: string;
  cn: string;
  ttl: string;
  output?: string;
}

interface FingerprintFlags {
  file: string[];
}

export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').summary('make and inspect sealing keys');
  keys
    .command('generate')
    .summary('print a new sealing key Secret, exactly as the controller stores it')
    .description(
      "Generates an RSA key and a self-signed certificate with the Sealed Secrets controller's fields and prints " +
        'them as a kubernetes.io/tls Secret labelled sealedsecrets.bitnami.com/sealed-secrets-key=active. ' +
        "Apply it in the controller's namespace to bring your own key; the output holds a private key.",
    )
    .option('--bits <bits>', `key size: ${KEY_SIZES.join(', ')}`, String(DEFAULT_KEY_BITS))
    .option(
      '--cn <name>',
      'certificate subject and issuer common name (default: empty, as the controller)',
      '',
    )
    .option('--ttl <duration>', 'certificate validity (Go duration)', '87600h')
    .option('-n, --namespace <namespace>', "namespace of the key Secret (the controller's)", 'kube-system')
    .option('--prefix <prefix>', 'generateName of the key Secret', DEFAULT_KEY_PREFIX)
    .option('--labels <k=v,...>', 'extra labels for the key Secret')
    .option('--annotations <k=v,...>', 'annotations for the key Secret')
    .option('-o, --format <format>', 'output format: yaml or json', 'yaml')
    .option('-w, --output <file>', 'write to this file (atomically, mode 0600) instead of stdout')
    .action(async (flags: GenerateFlags) => {
      const bits = parseBits(flags.bits);
      const format = flags.output && /\.ya?ml$/.test(flags.output) ? 'yaml' : parseOutputFormat(flags.format);
      const key = await generateSealingKey({
        bits,
        commonName: flags.cn,
        validityMs: parseTtl(flags.ttl),
        now: new Date(),
      });
      const secret = keySecret(key, {
        namespace: flags.namespace,
        prefix: flags.prefix,
        labels: parsePairs(flags.labels, '--labels'),
        annotations: parsePairs(flags.annotations, '--annotations'),
      });
      await writeOutput(formatObject(canonicalSecret(secret), format), flags.output, 0o600);
    });

  keys
    .command('cert')
    .summary('print the certificate of the newest key in a key file')
    .description(
      'Prints the PEM certificate stored with the newest key in FILE (a key Secret, a List backup, or a PEM ' +
        'file). A bare private key has none: then a new self-signed certificate is made for it (--cn, --ttl), ' +
        'which seals for the same key.',
    )
    .requiredOption('-f, --file <file>', 'key file')
    .option('--cn <name>', 'common name, when a certificate has to be made', '')
    .option('--ttl <duration>', 'validity, when a certificate has to be made', '87600h')
    .option('-w, --output <file>', 'write to this file instead of stdout')
    .action(async (flags: CertFlags) => {
      const newest = new Keyring(await readKeyFiles([flags.file])).newest;
      if (!newest) throw new CloakError('ERR_KEY_PARSE', `${flags.file}: no private key found`);
      let certificate = newest.certificatePem;
      if (!certificate) {
        certificate = await certificateForKey(newest.privateKey, {
          commonName: flags.cn,
          validityMs: parseTtl(flags.ttl),
          now: new Date(),
        });
        process.stderr.write(
          `note: ${newest.source} holds no certificate; made a new self-signed one for its key\n`,
        );
      }
      await writeOutput(certificate, flags.output);
    });

  keys
    .command('fingerprint')
    .summary('print the fingerprints of keys and certificates')
    .description(
      'Prints "FINGERPRINT SOURCE" for every key in each key file and for every PEM certificate: the SSH SHA-256 ' +
        "fingerprint of the public key, which the controller uses as the key's id and `cloak seal` records in " +
        'the cloak.dev/sealing-key annotation.',
    )
    .requiredOption(
      '-f, --file <file>',
      'key file or certificate (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (flags: FingerprintFlags) => {
      const lines: string[] = [];
      for (const file of flags.file) lines.push(...(await fingerprintsOf(file)));
      await writeOutput(`${lines.join('\n')}\n`);
    });
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
