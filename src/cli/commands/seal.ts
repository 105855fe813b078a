/**
 * `cloak seal`: kubeseal's command line, flag for flag, so scripts can swap the binary. This module only
 * declares the command; seal-run.ts does the work and is loaded when the command runs.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_CONTROLLER_NAME, DEFAULT_CONTROLLER_NAMESPACE } from '../../sealing/constants.ts';
import { applyFlagEnvironment, collectList } from '../flag-env.ts';
import { addKubectlFlags, type KubectlFlagValues } from '../kube-flags.ts';

export const FLAG_ENV_PREFIX = 'SEALED_SECRETS';
const LIST_FLAGS = new Set(['--from-file', '--recovery-private-key']);

export interface SealFlags extends KubectlFlagValues {
  cert?: string;
  controllerNamespace: string;
  controllerName: string;
  format: string;
  sealedSecretFile?: string;
  secretFile?: string;
  fetchCert?: boolean;
  allowEmptyData?: boolean;
  validate?: boolean;
  mergeInto?: string;
  raw?: boolean;
  name?: string;
  fromFile?: string[];
  scope: string;
  reEncrypt?: boolean;
  rotate?: boolean;
  recoveryUnseal?: boolean;
  recoveryPrivateKey?: string[];
  version?: boolean;
}

export function registerSealCommand(program: Command): void {
  const command = program
    .command('seal')
    .summary('seal Secrets into SealedSecrets that only the cluster can open (kubeseal-compatible)')
    .description(
      'Reads Secrets (YAML or JSON, several documents allowed) from stdin or --secret-file and writes ' +
        "SealedSecrets that the Sealed Secrets controller (Bitnami's or Cloak's) turns back into Secrets. " +
        'Every kubeseal flag works the same way, and each may also be set as SEALED_SECRETS_<FLAG> ' +
        '(for example SEALED_SECRETS_CERT=cert.pem).',
    )
    .option(
      '--cert <file|url>',
      'certificate to seal with: a file, file://, http:// or https:// URL (default: fetch it from the controller)',
    )
    .option(
      '--controller-namespace <namespace>',
      'namespace of the sealed secrets controller',
      DEFAULT_CONTROLLER_NAMESPACE,
    )
    .option('--controller-name <name>', 'name of the sealed secrets controller', DEFAULT_CONTROLLER_NAME)
    .option('-o, --format <format>', 'output format: json or yaml', 'json')
    .option(
      '-w, --sealed-secret-file <file>',
      'write the output to this file, atomically (.yaml/.yml selects YAML)',
    )
    .option('-f, --secret-file <file>', 'read the input from this file instead of stdin')
    .option('--fetch-cert', "print the controller's certificate (or the --cert one) and exit")
    .option('--allow-empty-data', 'allow Secrets without data')
    .option('--validate', 'ask the controller whether it can unseal the input SealedSecrets')
    .option(
      '--merge-into <file>',
      'seal the input into this SealedSecret file, adding or replacing items in place',
    )
    .option('--raw', 'seal one value (stdin or --from-file) and print only its base64')
    .option('--name <name>', 'name of the sealed secret (required with --raw and strict scope)')
    .option('--from-file <[key=]path>', '(only with --raw) read the value from this file', collectList)
    .option('--scope <scope>', 'sealing scope: strict, namespace-wide or cluster-wide', 'strict')
    .option('--re-encrypt', 'have the controller re-seal the input SealedSecrets with its newest key')
    .addOption(new Option('--rotate', 'deprecated: use --re-encrypt').hideHelp())
    .option(
      '--recovery-unseal',
      'decrypt SealedSecrets with private keys (disaster recovery; see also cloak unseal)',
    )
    .option(
      '--recovery-private-key <files>',
      'private key files for --recovery-unseal: PEM keys, key Secrets or a v1.List backup (repeatable, comma-separated)',
      collectList,
    )
    .option('--version', 'print the version and exit');
  addKubectlFlags(command);
  command.hook('preAction', (_program, actionCommand) =>
    applyFlagEnvironment(actionCommand, FLAG_ENV_PREFIX, LIST_FLAGS),
  );
  command.action(async (_flags: SealFlags, actionCommand: Command) => {
    const { runSeal } = await import('./seal-run.ts');
    await runSeal(actionCommand.opts<SealFlags>(), {
      version: program.version() ?? '',
      formatGiven: actionCommand.getOptionValueSource('format') !== 'default',
    });
  });
}
