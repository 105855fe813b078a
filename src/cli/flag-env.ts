/**
 * Flags from the environment, as kubeseal reads them: every flag `--some-flag` may be set as
 * `SEALED_SECRETS_SOME_FLAG`; a flag given on the command line wins.
 */
import type { Command } from 'commander';
import { UsageError } from '../common/errors.ts';

const TRUE_VALUES = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_VALUES = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function envVariableFor(prefix: string, longFlag: string): string {
  return `${prefix}_${longFlag.replace(/^--/, '').replace(/-/g, '_').toUpperCase()}`;
}

/** `listFlags` are the repeatable flags, whose environment value is a comma-separated list. */
export function applyFlagEnvironment(
  command: Command,
  prefix: string,
  listFlags: ReadonlySet<string>,
  env: NodeJS.ProcessEnv = process.env,
): void {
  for (const option of command.options) {
    if (!option.long || option.negate) continue;
    const attribute = option.attributeName();
    const source = command.getOptionValueSource(attribute);
    if (source === 'cli') continue;
    const variable = envVariableFor(prefix, option.long);
    const raw = env[variable];
    if (raw === undefined) continue;
    let value: unknown = raw;
    if (option.isBoolean()) value = parseGoBool(raw, variable);
    else if (listFlags.has(option.long)) value = raw.split(',').filter((item) => item !== '');
    command.setOptionValueWithSource(attribute, value, 'env');
  }
}

function parseGoBool(value: string, variable: string): boolean {
  if (TRUE_VALUES.has(value)) return true;
  if (FALSE_VALUES.has(value)) return false;
  throw new UsageError(`invalid boolean "${value}" in ${variable}`);
}

/** Commander collector for flags that may be repeated and may hold comma-separated lists. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').filter((item) => item !== '')];
}
