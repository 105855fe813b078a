/** What `cloak template render` does (see template.ts for the flags). */
import { basename } from 'node:path';
import { CloakError, UsageError } from '../../common/errors.ts';
import { jsonErrorOffset } from '../../manifests/json-error.ts';
import {
  FUNCTION_SET_NAMES,
  goValueFromJson,
  loadFunctionSet,
  renderTemplate,
  type GoValue,
  type MissingKey,
} from '../../template/index.ts';
import { isFunctionSetName } from '../../template/function-sets.ts';
import { readInputFile, readStdin, writeOutput } from '../io.ts';
import type { TemplateRenderFlags } from './template.ts';

const MISSING_KEY_MODES: readonly MissingKey[] = ['default', 'invalid', 'zero', 'error'];

export async function runTemplateRender(file: string, flags: TemplateRenderFlags): Promise<void> {
  if (!isFunctionSetName(flags.funcs)) {
    throw new UsageError(
      `unknown function set ${JSON.stringify(flags.funcs)} (use ${FUNCTION_SET_NAMES.join(', ')})`,
    );
  }
  const missingKey = flags.missingkey?.replace(/^missingkey=/, '');
  if (missingKey !== undefined && !(MISSING_KEY_MODES as readonly string[]).includes(missingKey)) {
    throw new UsageError(
      `unknown --missingkey ${JSON.stringify(flags.missingkey)} (use default, zero or error)`,
    );
  }
  const delims = parseDelims(flags.delims);
  if (file === '-' && flags.data === '-')
    throw new UsageError('the template and --data cannot both be stdin');

  const text = file === '-' ? await readStdin() : await readInputFile(file);
  const data = flags.data === undefined ? undefined : await readData(flags.data);
  const functions = await loadFunctionSet(flags.funcs);
  const output = renderTemplate(
    { name: file === '-' ? 'stdin' : basename(file), text, delims, functions },
    data,
    { missingKey: missingKey as MissingKey | undefined, revealValuesInErrors: true },
  );
  await writeOutput(output);
}

function parseDelims(value: string | undefined): [string, string] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',');
  if (parts.length !== 2)
    throw new UsageError(`--delims wants "LEFT,RIGHT", e.g. "[[,]]"; got ${JSON.stringify(value)}`);
  return [parts[0]!, parts[1]!];
}

async function readData(path: string): Promise<GoValue> {
  const bytes = path === '-' ? await readStdin() : await readInputFile(path);
  const text = bytes.toString('utf8');
  const source = path === '-' ? 'stdin' : path;
  if (/\.ya?ml$/i.test(path)) {
    const { goValueFromYaml } = await import('../../template/yaml-data.ts');
    try {
      return goValueFromYaml(text);
    } catch (error) {
      throw new CloakError('ERR_TEMPLATE_DATA', `${source}: ${(error as Error).message}`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // V8's message would quote the data around the error; say only where it is.
    const offset = jsonErrorOffset(text);
    const before = text.slice(0, Math.max(offset, 0));
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    throw new CloakError('ERR_TEMPLATE_DATA', `${source}: invalid JSON at line ${line}, column ${column}`);
  }
  return goValueFromJson(json);
}
