/**
 * The case tables in test/template/cases/*.json: each case's template, data and options, with the output or
 * error Go's text/template really gave (recorded by tools/template-cases). A case with a "cloak" entry is a
 * documented difference: Cloak's result is given there, with the reason.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  byteStringFromText,
  GoBytes,
  GoInt,
  GoList,
  goStringMapFromRecord,
  goValueFromJson,
  goMap,
  loadFunctionSet,
  NO_FUNCTIONS,
  renderToByteString,
  TemplateExecError,
  TemplateParseError,
  textFromByteString,
  type FunctionSet,
  type GoValue,
  type MissingKey,
} from '../../src/template/index.ts';
import { goValueFromYaml } from '../../src/template/yaml-data.ts';
import { TEST_FUNCTIONS } from './test-functions.ts';
import { SPRIG_CRYPTO } from '../../src/template/functions/sprig-crypto/index.ts';
import { helmFunctions } from '../../src/template/functions/sprig/yaml.ts';

interface Expectation {
  output?: string;
  outputBase64?: string;
  error?: string;
  phase?: 'parse' | 'exec';
}

interface Case {
  name: string;
  templateName?: string;
  template: string;
  data?: unknown;
  dataYaml?: string;
  dataStrings?: Record<string, string>;
  dataTyped?: unknown;
  missingkey?: MissingKey;
  delims?: [string, string];
  funcs?: string;
  handWritten?: string;
  expect: Expectation;
  cloak?: Expectation & { why: string };
}

const CASES_DIR = join(import.meta.dirname, 'cases');

/** The tagged notation of the tables (see tools/template-cases/README.md) as template values. */
function typed(raw: unknown): GoValue {
  if (Array.isArray(raw)) return new GoList('[]interface {}', raw.map(typed));
  if (raw !== null && typeof raw === 'object') {
    const entries = Object.entries(raw as Record<string, unknown>);
    const [tag, inner] = entries[0] ?? [];
    if (entries.length === 1 && tag?.startsWith('$')) {
      switch (tag) {
        case '$int':
        case '$int64':
        case '$int32':
          return new GoInt(tag.slice(1) as 'int', BigInt(inner as number | string));
        case '$uint8':
        case '$uint':
        case '$uint64':
          return new GoInt(tag.slice(1) as 'uint8', BigInt(inner as number | string));
        case '$float64':
          return Number(inner);
        case '$bytes':
          return new GoBytes(new Uint8Array(Buffer.from(inner as string, 'base64')));
        case '$strings':
          return new GoList('[]string', (inner as string[]).map(byteStringFromText));
        case '$ints':
          return new GoList(
            '[]int',
            (inner as number[]).map((n) => new GoInt('int', BigInt(n))),
          );
        case '$stringMap':
          return goStringMapFromRecord(inner as Record<string, string>);
        case '$nil':
          return null;
      }
      throw new Error(`unknown tag ${tag}`);
    }
    return goMap(entries.map(([key, value]) => [byteStringFromText(key), typed(value)]));
  }
  return goValueFromJson(raw);
}

function data(entry: Case): GoValue | undefined {
  if ('data' in entry) return goValueFromJson(entry.data);
  if (entry.dataYaml !== undefined) return goValueFromYaml(entry.dataYaml);
  if (entry.dataStrings !== undefined) return goStringMapFromRecord(entry.dataStrings);
  if ('dataTyped' in entry) return typed(entry.dataTyped);
  return undefined;
}

// sprig's date functions work in time.Local; the tables were recorded with Local = UTC.
process.env.TZ = 'UTC';
const SPRIG = await loadFunctionSet('sprig');

const FUNCTION_SETS: Record<string, FunctionSet> = {
  none: NO_FUNCTIONS,
  test: TEST_FUNCTIONS,
  'sprig-crypto': SPRIG_CRYPTO,
  sprig: SPRIG,
  'sprig-helm': SPRIG.extend('sprig-helm', helmFunctions),
};

function run(entry: Case): Expectation {
  const functions = FUNCTION_SETS[entry.funcs ?? 'none'];
  assert.ok(functions, `function set ${entry.funcs} is not available to the tests`);
  try {
    const output = renderToByteString(
      { name: entry.templateName ?? 't', text: entry.template, delims: entry.delims, functions },
      data(entry),
      { missingKey: entry.missingkey, revealValuesInErrors: true },
    );
    return {
      output: textFromByteString(output),
      outputBase64: Buffer.from(output, 'latin1').toString('base64'),
    };
  } catch (error) {
    if (error instanceof TemplateParseError) return { error: error.message, phase: 'parse' };
    if (error instanceof TemplateExecError) return { error: error.message, phase: 'exec' };
    throw error;
  }
}

let total = 0;
for (const file of readdirSync(CASES_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort()) {
  const table = JSON.parse(readFileSync(join(CASES_DIR, file), 'utf8')) as {
    description: string;
    cases: Case[];
  };
  describe(`template cases: ${file}`, () => {
    for (const entry of table.cases) {
      total++;
      test(entry.name, () => {
        const expected = entry.cloak ?? entry.expect;
        assert.ok(expected, `case ${entry.name} has no recorded expectation: run tools/template-cases`);
        const actual = run(entry);
        if (expected.error !== undefined) {
          assert.deepEqual(
            { error: actual.error, phase: actual.phase ?? 'none' },
            {
              error: expected.error,
              phase: expected.phase ?? actual.phase ?? 'none',
            },
          );
        } else if (expected.outputBase64 !== undefined) {
          assert.equal(actual.error, undefined, actual.error);
          assert.equal(actual.outputBase64, expected.outputBase64);
        } else {
          assert.equal(actual.error, undefined, actual.error);
          assert.equal(actual.output, expected.output);
        }
      });
    }
  });
}

test('the tables hold at least 300 cases', () => {
  assert.ok(total >= 300, `${total} cases`);
});
