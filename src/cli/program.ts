import { Command } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { registerKeysCommand } from './commands/keys.ts';
import { registerSealCommand } from './commands/seal.ts';
import { registerUnsealCommand } from './commands/unseal.ts';

export const VERSION: string = packageJson.version;

export function buildProgram(): Command {
  const program = new Command('cloak')
    .description('Kubernetes secrets management: seal secrets for Git, and more to come.')
    .version(VERSION, '--version', 'print the version and exit')
    .option('--debug', 'print stack traces with errors')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride();
  registerSealCommand(program);
  registerUnsealCommand(program);
  registerKeysCommand(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}
