/**
 * `cloak sops`: sops' command line (encrypt, decrypt, edit, updatekeys, rotate, set, unset, exec-env,
 * exec-file, filestatus) with the flags and environment variables sops users know. This module declares the
 * commands; sops-run.ts (and sops-edit.ts, sops-exec.ts) do the work when a command runs.
 */
import { Option, type Command } from 'commander';
import { collectList } from '../flag-env.ts';

export interface SopsKeyFlags {
  age?: string[];
  pgp?: string[];
  kms?: string[];
  gcpKms?: string[];
  azureKv?: string[];
  hcVaultTransit?: string[];
  awsProfile?: string;
  encryptionContext?: string;
  shamirSecretSharingThreshold?: string;
}

export interface SopsRuleFlags {
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  unencryptedCommentRegex?: string;
  encryptedCommentRegex?: string;
  macOnlyEncrypted?: boolean;
}

export interface SopsIoFlags {
  inputType?: string;
  outputType?: string;
  filenameOverride?: string;
  output?: string;
  inPlace?: boolean;
  indent?: string;
  config?: string;
  decryptionOrder?: string;
  ignoreMac?: boolean;
}

export type SopsFlags = SopsKeyFlags &
  SopsRuleFlags &
  SopsIoFlags & {
    extract?: string;
    yes?: boolean;
    valueFile?: boolean;
    valueStdin?: boolean;
    idempotent?: boolean;
    pristine?: boolean;
    fifo?: boolean;
    filename?: string;
    add?: Record<string, string[]>;
    rm?: Record<string, string[]>;
  } & Record<string, unknown>;

/** Key flags: flag, description, environment variable (as sops names them). */
export const KEY_FLAGS = [
  ['age', '-a, --age <recipients>', 'age recipients (comma-separated, repeatable)', 'SOPS_AGE_RECIPIENTS'],
  ['pgp', '-p, --pgp <fingerprints>', 'PGP fingerprints (comma-separated, repeatable)', 'SOPS_PGP_FP'],
  [
    'kms',
    '-k, --kms <arns>',
    'AWS KMS key ARNs, optionally ARN+ROLE_ARN (comma-separated, repeatable)',
    'SOPS_KMS_ARN',
  ],
  ['gcpKms', '--gcp-kms <ids>', 'GCP KMS key resource IDs (comma-separated, repeatable)', 'SOPS_GCP_KMS_IDS'],
  [
    'azureKv',
    '--azure-kv <urls>',
    'Azure Key Vault key URLs (comma-separated, repeatable)',
    'SOPS_AZURE_KEYVAULT_URLS',
  ],
  [
    'hcVaultTransit',
    '--hc-vault-transit <uris>',
    'Vault transit key URIs (comma-separated, repeatable)',
    'SOPS_VAULT_URIS',
  ],
] as const;

function addKeyFlags(command: Command): Command {
  for (const [, flag, description, envVar] of KEY_FLAGS) {
    command.addOption(new Option(flag, description).env(envVar).argParser(collectList));
  }
  return command
    .option('--aws-profile <profile>', 'AWS profile for the KMS keys')
    .option('--encryption-context <pairs>', 'KMS encryption context, key:value pairs separated by commas')
    .option('--shamir-secret-sharing-threshold <n>', 'key groups needed to recover the data key');
}

function addRuleFlags(command: Command): Command {
  return command
    .option(
      '--unencrypted-suffix <suffix>',
      'keys ending with this suffix stay in clear text (default _unencrypted)',
    )
    .option('--encrypted-suffix <suffix>', 'only keys ending with this suffix are encrypted')
    .option('--unencrypted-regex <regex>', 'keys matching this regex stay in clear text')
    .option(
      '--encrypted-regex <regex>',
      'only keys matching this regex are encrypted (e.g. ^(data|stringData)$)',
    )
    .option(
      '--unencrypted-comment-regex <regex>',
      'values after comments matching this regex stay in clear text',
    )
    .option(
      '--encrypted-comment-regex <regex>',
      'only values after comments matching this regex are encrypted',
    )
    .option('--mac-only-encrypted', 'compute the MAC over encrypted values only');
}

function addIoFlags(command: Command, { inPlace = true, output = true } = {}): Command {
  command
    .option(
      '--input-type <type>',
      'input format: yaml, json, dotenv, ini or binary (default: from the extension)',
    )
    .option('--output-type <type>', 'output format (default: the input format)')
    .option(
      '--filename-override <name>',
      'treat the input as this file name (for its type and .sops.yaml rules)',
    )
    .option('--indent <n>', 'indentation of YAML and JSON output')
    .option('--config <file>', 'the .sops.yaml to use (default: the nearest one upward; env SOPS_CONFIG)');
  if (output) command.option('--output <file>', 'write here (atomically) instead of stdout');
  if (inPlace) command.option('-i, --in-place', 'write the result back into the file');
  return command;
}

function addDecryptFlags(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--decryption-order <types>',
        'key types to try first, comma-separated (default age,pgp)',
      ).env('SOPS_DECRYPTION_ORDER'),
    )
    .option(
      '--ignore-mac',
      'decrypt even when the MAC does not match (the file may have been tampered with)',
    );
}

async function run(name: string, flags: SopsFlags, args: string[]): Promise<void> {
  const { runSopsCommand } = await import('./sops-run.ts');
  await runSopsCommand(name, flags, args);
}

export function registerSopsCommand(program: Command): void {
  const sops = program
    .command('sops')
    .summary('encrypt values in YAML, JSON, dotenv, INI and binary files (sops-compatible)')
    .description(
      'Encrypts the values of structured files and leaves their keys readable, in the file format of sops, so that ' +
        'files written by Cloak open with sops and the other way round. Keys: age, PGP, AWS KMS, GCP KMS, Azure Key ' +
        'Vault and Vault transit, in key groups with Shamir thresholds; rules from .sops.yaml.',
    );

  const encrypt = sops
    .command('encrypt')
    .alias('e')
    .summary('encrypt a file')
    .argument('<file>', "the file, or '-' for stdin");
  addRuleFlags(addKeyFlags(addIoFlags(encrypt)));
  encrypt.action((file: string, flags: SopsFlags) => run('encrypt', flags, [file]));

  const decrypt = sops
    .command('decrypt')
    .alias('d')
    .summary('decrypt a file')
    .argument('<file>', "the file, or '-' for stdin");
  addDecryptFlags(addIoFlags(decrypt)).option(
    '--extract <path>',
    'print only this part, e.g. \'["data"]["password"]\'',
  );
  decrypt.action((file: string, flags: SopsFlags) => run('decrypt', flags, [file]));

  const edit = sops
    .command('edit')
    .summary('edit a file in $SOPS_EDITOR or $EDITOR, re-encrypting on save')
    .argument('<file>');
  addDecryptFlags(addRuleFlags(addKeyFlags(addIoFlags(edit, { inPlace: false, output: false }))));
  edit.action((file: string, flags: SopsFlags) => run('edit', flags, [file]));

  const updatekeys = sops
    .command('updatekeys')
    .summary("re-wrap the data key for the keys of the file's creation rule")
    .argument('<files...>')
    .option('-y, --yes', 'do not ask for confirmation');
  addDecryptFlags(addIoFlags(updatekeys, { inPlace: false, output: false }));
  updatekeys.action((files: string[], flags: SopsFlags) => run('updatekeys', flags, files));

  const rotate = sops
    .command('rotate')
    .alias('r')
    .summary('re-encrypt a file with a new data key')
    .argument('<file>');
  for (const [, flag] of KEY_FLAGS) {
    const label = (flag.replace(/^-\w, /, '').split(' ')[0] ?? '').slice(2);
    rotate.addOption(
      new Option(`--add-${label} <keys>`, `add ${label} keys (comma-separated)`).argParser(collectList),
    );
    rotate.addOption(
      new Option(`--rm-${label} <keys>`, `remove ${label} keys (comma-separated)`).argParser(collectList),
    );
  }
  addDecryptFlags(addIoFlags(rotate));
  rotate.action((file: string, flags: SopsFlags) => run('rotate', flags, [file]));

  const set = sops
    .command('set')
    .summary('set one value in an encrypted file')
    .argument('<file>')
    .argument('<path>', 'e.g. \'["data"]["password"]\'')
    .argument('[value]', 'the value as JSON (e.g. \'"text"\' or 42)')
    .option('--value-file', 'VALUE is a file holding the JSON value')
    .option('--value-stdin', 'read the JSON value from stdin')
    .option('--idempotent', 'write nothing when the value is already there');
  addDecryptFlags(addIoFlags(set, { inPlace: false, output: false }));
  set.action((file: string, path: string, value: string | undefined, flags: SopsFlags) =>
    run('set', flags, [file, path, ...(value === undefined ? [] : [value])]),
  );

  const unset = sops
    .command('unset')
    .summary('remove one value from an encrypted file')
    .argument('<file>')
    .argument('<path>')
    .option('--idempotent', 'succeed without writing when the value is not there');
  addDecryptFlags(addIoFlags(unset, { inPlace: false, output: false }));
  unset.action((file: string, path: string, flags: SopsFlags) => run('unset', flags, [file, path]));

  const execEnv = sops
    .command('exec-env')
    .summary('run a command with the top-level values of a file in its environment')
    .argument('<file>')
    .argument('<command>', 'run by /bin/sh -c')
    .option('--pristine', 'start the command with only those variables');
  addDecryptFlags(addIoFlags(execEnv, { inPlace: false, output: false }));
  execEnv.action((file: string, command: string, flags: SopsFlags) =>
    run('exec-env', flags, [file, command]),
  );

  const execFile = sops
    .command('exec-file')
    .summary('run a command with the decrypted file at {} (a FIFO, or a temporary file), removed afterwards')
    .argument('<file>')
    .argument('<command>', "run by /bin/sh -c; '{}' is replaced by the plaintext file's path")
    .option('--no-fifo', 'use a temporary file instead of a FIFO')
    .option('--filename <name>', 'name of the plaintext file', 'tmp-file');
  addDecryptFlags(addIoFlags(execFile, { inPlace: false, output: false }));
  execFile.action((file: string, command: string, flags: SopsFlags) =>
    run('exec-file', flags, [file, command]),
  );

  const filestatus = sops
    .command('filestatus')
    .summary('print {"encrypted":true|false} for a file')
    .argument('<file>');
  filestatus.option('--input-type <type>', 'input format (default: from the extension)');
  filestatus.action((file: string, flags: SopsFlags) => run('filestatus', flags, [file]));
}
