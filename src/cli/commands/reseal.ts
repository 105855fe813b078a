/**
 * `cloak reseal`: re-encrypts the SealedSecret files of a Git checkout with the newest sealing key, in place.
 * Re-sealing needs the plaintext, so it goes through the controller (/v1/rotate, as `cloak seal --re-encrypt`)
 * or, offline, through the controller's private keys (--recovery-private-key). This module declares the command;
 * reseal-run.ts does the work.
 */
import type { Command } from 'commander';
import { DEFAULT_CONTROLLER_NAME, DEFAULT_CONTROLLER_NAMESPACE } from '../../sealing/constants.ts';
import { applyFlagEnvironment, collectList } from '../flag-env.ts';
import { addKubectlFlags, type KubectlFlagValues } from '../kube-flags.ts';

export interface ResealFlags extends KubectlFlagValues {
  recoveryPrivateKey?: string[];
  cert?: string;
  controllerNamespace: string;
  controllerName: string;
  dryRun?: boolean;
}

export function registerResealCommand(program: Command): void {
  const command = program
    .command('reseal')
    .summary('re-encrypt the SealedSecret files in a checkout with the newest key, in place')
    .argument('[paths...]', 'files and directories to look in (default: the current directory)')
    .description(
      'Finds the SealedSecrets in the YAML and JSON files under the given paths (skipping .git and ' +
        'node_modules; in multi-document files only SealedSecret documents are touched) and seals their values ' +
        'again with the newest key, keeping each file’s comments and layout. Without --recovery-private-key ' +
        'the controller does it (/v1/rotate through the API server, as `cloak seal --re-encrypt`), and files whose ' +
        'key hint already names its newest key are left alone; with it, the values are opened with those keys and ' +
        'sealed for the newest of them (or for --cert), offline. Files are written atomically, and a file with a ' +
        'SealedSecret that cannot be re-sealed is not written at all; the exit status is 1 if any failed.',
    )
    .option(
      '--recovery-private-key <files>',
      're-seal offline with these private keys: PEM keys, key Secrets or a v1.List backup (repeatable, comma-separated)',
      collectList,
    )
    .option(
      '--cert <file|url>',
      'with --recovery-private-key: seal for this certificate instead of the newest key',
    )
    .option(
      '--controller-namespace <namespace>',
      'namespace of the sealed secrets controller',
      DEFAULT_CONTROLLER_NAMESPACE,
    )
    .option('--controller-name <name>', 'name of the sealed secrets controller', DEFAULT_CONTROLLER_NAME)
    .option('--dry-run', 'list the files that would change; write nothing');
  addKubectlFlags(command);
  command.hook('preAction', (_program, actionCommand) =>
    applyFlagEnvironment(actionCommand, 'SEALED_SECRETS', new Set(['--recovery-private-key'])),
  );
  command.action(async (paths: string[], flags: ResealFlags) => {
    const { runReseal } = await import('./reseal-run.ts');
    await runReseal(paths, flags);
  });
}
