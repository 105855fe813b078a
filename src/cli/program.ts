import { Command, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { registerAuditCommand } from './commands/audit.ts';
import { registerDevCommand } from './commands/dev.ts';
import { registerEncryptionCommand } from './commands/encryption.ts';
import { registerKeysCommand } from './commands/keys.ts';
import { registerRbacCommand } from './commands/rbac.ts';
import { registerResealCommand } from './commands/reseal.ts';
import { registerKmsPluginCommand } from './commands/kms-plugin.ts';
import { registerOperatorCommand } from './commands/operator.ts';
import { registerSealCommand } from './commands/seal.ts';
import { registerSopsCommand } from './commands/sops.ts';
import { registerTemplateCommand } from './commands/template.ts';
import { registerUnsealCommand } from './commands/unseal.ts';
import { registerUpCommand } from './commands/up.ts';

export const VERSION: string = packageJson.version;

export function buildProgram(): Command {
  const program = new Command('cloak')
    .description(
      'Kubernetes secrets management: seal secrets for Git, encrypt values in files, and more to come.',
    )
    .version(VERSION, '--version', 'print the version and exit')
    .option('--debug', 'print stack traces with errors')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    // Program options only before the command, so that `cloak seal --version` is kubeseal's --version.
    .enablePositionalOptions();
  registerUpCommand(program);
  registerSealCommand(program);
  registerUnsealCommand(program);
  registerResealCommand(program);
  registerKeysCommand(program);
  registerSopsCommand(program);
  registerDevCommand(program);
  registerRbacCommand(program);
  registerEncryptionCommand(program);
  registerKmsPluginCommand(program);
  registerAuditCommand(program);
  registerOperatorCommand(program);
  registerTemplateCommand(program);
  configureAll(program);
  return program;
}

/** Every command reports errors to main() instead of exiting, and accepts --debug anywhere. */
function configureAll(command: Command): void {
  command.exitOverride();
  if (command.parent) command.addOption(new Option('--debug', 'print stack traces with errors').hideHelp());
  for (const child of command.commands) configureAll(child);
}
