/**
 * `cloak keys`: make sealing keys as the controller makes them, and inspect key files and certificates.
 * This module declares the commands; keys-run.ts runs them.
 */
import type { Command } from 'commander';
import { DEFAULT_KEY_BITS, DEFAULT_KEY_PREFIX, DEFAULT_KEY_TTL, KEY_SIZES } from '../../sealing/constants.ts';

export interface GenerateFlags {
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

export interface CertFlags {
  file: string;
  cn: string;
  ttl: string;
  output?: string;
}

export interface FingerprintFlags {
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
    .option('--ttl <duration>', 'certificate validity (Go duration)', DEFAULT_KEY_TTL)
    .option('-n, --namespace <namespace>', "namespace of the key Secret (the controller's)", 'kube-system')
    .option('--prefix <prefix>', 'generateName of the key Secret', DEFAULT_KEY_PREFIX)
    .option('--labels <k=v,...>', 'extra labels for the key Secret')
    .option('--annotations <k=v,...>', 'annotations for the key Secret')
    .option('-o, --format <format>', 'output format: yaml or json', 'yaml')
    .option('-w, --output <file>', 'write to this file (atomically, mode 0600) instead of stdout')
    .action(async (flags: GenerateFlags) => {
      const { runGenerate } = await import('./keys-run.ts');
      await runGenerate(flags);
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
    .option('--ttl <duration>', 'validity, when a certificate has to be made', DEFAULT_KEY_TTL)
    .option('-w, --output <file>', 'write to this file instead of stdout')
    .action(async (flags: CertFlags) => {
      const { runCert } = await import('./keys-run.ts');
      await runCert(flags);
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
      const { runFingerprint } = await import('./keys-run.ts');
      await runFingerprint(flags);
    });
}
