/**
 * sprig's general functions beyond the case tables (test/template/cases/sprig-*.json, recorded from Go): the
 * function list against sprig 3.2.3's map, the nondeterministic functions by property (random strings, uuidv4,
 * shuffle, now, ago), the environment seam (clock, randomness, zones), maps as references, and bounds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FunctionSet,
  goMap,
  goValueFromJson,
  loadFunctionSet,
  renderToByteString,
  TemplateError,
  TemplateLimitError,
  textFromByteString,
  type GoValue,
  type RenderOptions,
} from '../../src/template/index.ts';
import {
  makeSprigGeneralFunctions,
  sprigGeneralFunctions,
  SYSTEM_ENVIRONMENT,
  type SprigEnvironment,
} from '../../src/template/functions/sprig/index.ts';
import { fixedZone, UTC } from '../../src/template/functions/sprig/go-time.ts';
import { helmFunctions } from '../../src/template/functions/sprig/yaml.ts';

/** sprig 3.2.3's generic map (functions.go) without the crypto functions and env, expandenv, getHostByName. */
const SPRIG_GENERAL_NAMES = [
  'abbrev',
  'abbrevboth',
  'add',
  'add1',
  'add1f',
  'addf',
  'ago',
  'all',
  'any',
  'append',
  'atoi',
  'b32dec',
  'b32enc',
  'b64dec',
  'b64enc',
  'base',
  'biggest',
  'camelcase',
  'cat',
  'ceil',
  'chunk',
  'clean',
  'coalesce',
  'compact',
  'concat',
  'contains',
  'date',
  'dateInZone',
  'dateModify',
  'date_in_zone',
  'date_modify',
  'deepCopy',
  'deepEqual',
  'default',
  'dict',
  'dig',
  'dir',
  'div',
  'divf',
  'duration',
  'durationRound',
  'empty',
  'ext',
  'fail',
  'first',
  'float64',
  'floor',
  'fromJson',
  'get',
  'has',
  'hasKey',
  'hasPrefix',
  'hasSuffix',
  'hello',
  'htmlDate',
  'htmlDateInZone',
  'indent',
  'initial',
  'initials',
  'int',
  'int64',
  'isAbs',
  'join',
  'kebabcase',
  'keys',
  'kindIs',
  'kindOf',
  'last',
  'list',
  'lower',
  'max',
  'maxf',
  'merge',
  'mergeOverwrite',
  'min',
  'minf',
  'mod',
  'mul',
  'mulf',
  'mustAppend',
  'mustChunk',
  'mustCompact',
  'mustDateModify',
  'mustDeepCopy',
  'mustFirst',
  'mustFromJson',
  'mustHas',
  'mustInitial',
  'mustLast',
  'mustMerge',
  'mustMergeOverwrite',
  'mustPrepend',
  'mustPush',
  'mustRegexFind',
  'mustRegexFindAll',
  'mustRegexMatch',
  'mustRegexReplaceAll',
  'mustRegexReplaceAllLiteral',
  'mustRegexSplit',
  'mustRest',
  'mustReverse',
  'mustSlice',
  'mustToDate',
  'mustToJson',
  'mustToPrettyJson',
  'mustToRawJson',
  'mustUniq',
  'mustWithout',
  'must_date_modify',
  'nindent',
  'nospace',
  'now',
  'omit',
  'osBase',
  'osClean',
  'osDir',
  'osExt',
  'osIsAbs',
  'pick',
  'pluck',
  'plural',
  'prepend',
  'push',
  'quote',
  'randAlpha',
  'randAlphaNum',
  'randAscii',
  'randInt',
  'randNumeric',
  'regexFind',
  'regexFindAll',
  'regexMatch',
  'regexQuoteMeta',
  'regexReplaceAll',
  'regexReplaceAllLiteral',
  'regexSplit',
  'repeat',
  'replace',
  'rest',
  'reverse',
  'round',
  'semver',
  'semverCompare',
  'seq',
  'set',
  'shuffle',
  'slice',
  'snakecase',
  'sortAlpha',
  'split',
  'splitList',
  'splitn',
  'squote',
  'sub',
  'subf',
  'substr',
  'swapcase',
  'ternary',
  'title',
  'toDate',
  'toDecimal',
  'toJson',
  'toPrettyJson',
  'toRawJson',
  'toString',
  'toStrings',
  'trim',
  'trimAll',
  'trimPrefix',
  'trimSuffix',
  'trimall',
  'trunc',
  'tuple',
  'typeIs',
  'typeIsLike',
  'typeOf',
  'uniq',
  'unixEpoch',
  'unset',
  'until',
  'untilStep',
  'untitle',
  'upper',
  'urlJoin',
  'urlParse',
  'uuidv4',
  'values',
  'without',
  'wrap',
  'wrapWith',
];

const SPRIG = await loadFunctionSet('sprig');

function render(
  text: string,
  data?: GoValue,
  functions: FunctionSet = SPRIG,
  options: RenderOptions = {},
): string {
  return textFromByteString(
    renderToByteString({ name: 't', text, functions }, data, { revealValuesInErrors: true, ...options }),
  );
}

/** An environment with a fixed clock, counter-based "randomness" and one extra zone. */
function fixedEnvironment(unixNanos: bigint): SprigEnvironment {
  let counter = 0;
  return {
    now: () => ({ unixNanos, monotonicNanos: 5_000_000_123n }),
    randomBytes: (count) => Uint8Array.from({ length: count }, () => counter++ & 0xff),
    local: UTC.renamed('Local'),
    loadLocation: (name) => (name === 'Test/Plus2' ? fixedZone('P2', 7200) : undefined),
  };
}

describe('the function list', () => {
  test("is sprig 3.2.3's generic map without crypto, env, expandenv and getHostByName", () => {
    assert.deepEqual([...sprigGeneralFunctions.keys()].sort(), [...SPRIG_GENERAL_NAMES].sort());
  });

  test('the sprig set adds the crypto functions and nothing else', () => {
    for (const name of SPRIG_GENERAL_NAMES) assert.ok(SPRIG.has(name), name);
    for (const name of ['env', 'expandenv', 'getHostByName', 'toYaml', 'fromYaml', 'required']) {
      assert.ok(!SPRIG.has(name), name);
    }
    assert.ok(SPRIG.has('genCA') && SPRIG.has('sha256sum'));
  });

  test('the ESO set has toYaml and fromYaml from here', async () => {
    const eso = await loadFunctionSet('eso');
    assert.equal(render('{{ toYaml (dict "b" 1 "a" (list "x")) }}', undefined, eso), 'a:\n- x\nb: 1');
  });
});

describe('random functions (by property)', () => {
  test('randAlphaNum, randAlpha, randNumeric, randAscii: length and alphabet', () => {
    const cases: [string, RegExp][] = [
      ['randAlphaNum', /^[0-9A-Za-z]{64}$/],
      ['randAlpha', /^[A-Za-z]{64}$/],
      ['randNumeric', /^[0-9]{64}$/],
      ['randAscii', /^[\x20-\x7e]{64}$/],
    ];
    for (const [name, shape] of cases) {
      const seen = new Set<string>();
      for (let round = 0; round < 20; round++) {
        const value = render(`{{ ${name} 64 }}`);
        assert.match(value, shape, name);
        seen.add(value);
      }
      assert.equal(seen.size, 20, `${name} repeats itself`);
      assert.equal(render(`[{{ ${name} 0 }}][{{ ${name} -5 }}]`), '[][]');
    }
  });

  test('every character of the alphabet turns up', () => {
    const text = render('{{ randAlphaNum 5000 }}');
    assert.equal(new Set(text).size, 62);
  });

  test('uuidv4: version 4, RFC 4122 variant, lower case', () => {
    const seen = new Set<string>();
    for (let round = 0; round < 50; round++) {
      const id = render('{{ uuidv4 }}');
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 50);
  });

  test('shuffle keeps the runes', () => {
    for (const input of ['hello world', 'héllo wörld 😀', '', 'a']) {
      const out = render('{{ shuffle . }}', goValueFromJson(input));
      assert.deepEqual([...out].sort(), [...input].sort());
    }
  });

  test("randInt: in [min, max), and Go's panic for an empty range", () => {
    for (let round = 0; round < 200; round++) {
      const n = Number(render('{{ randInt -3 4 }}'));
      assert.ok(Number.isInteger(n) && n >= -3 && n < 4, String(n));
    }
    assert.throws(() => render('{{ randInt 5 5 }}'), /error calling randInt: invalid argument to Intn/);
  });

  test('the environment supplies the randomness', () => {
    const functions = new FunctionSet('fixed', makeSprigGeneralFunctions(fixedEnvironment(0n)).values());
    assert.equal(render('{{ uuidv4 }}', undefined, functions), '00010203-0405-4607-8809-0a0b0c0d0e0f');
  });
});

describe('now, ago and the clock', () => {
  test('now prints as Go prints time.Now (with the monotonic reading)', () => {
    assert.match(
      render('{{ now }}'),
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? \+0000 UTC m=\+\d+\.\d{9}$/,
    );
    assert.equal(render('{{ typeOf now }}|{{ kindOf now }}'), 'time.Time|struct');
    assert.equal(render('{{ ago now }}'), '0s');
    assert.equal(render('{{ durationRound now }}'), '0s');
  });

  test('the render clock (RenderOptions.now) is what now, date and ago see', () => {
    const now = () => new Date('2024-05-06T07:08:09.250Z');
    assert.equal(
      render('{{ now | date "2006-01-02 15:04:05.000" }}', undefined, SPRIG, { now }),
      '2024-05-06 07:08:09.250',
    );
    assert.equal(
      render('{{ now.Unix }}|{{ date "2006" 1.5 }}', undefined, SPRIG, { now }),
      '1714979289|2024',
    );
    assert.equal(
      render('{{ ago 1714975689 }}|{{ ago (int64 1714979289) }}', undefined, SPRIG, { now }),
      '1h0m0s|0s',
    );
    assert.equal(
      render('{{ (toDate "2006-01-02" "2024-05-01") | durationRound }}', undefined, SPRIG, { now }),
      '5d',
    );
  });

  test('the environment clock, time.Local and zones', () => {
    const functions = new FunctionSet('fixed', makeSprigGeneralFunctions(fixedEnvironment(0n)).values());
    // The wall clock is the render's (one clock for every function of a render); the monotonic reading is the
    // environment's.
    const now = () => new Date('2023-11-14T22:13:20.123Z');
    assert.equal(
      render('{{ now }}', undefined, functions, { now }),
      '2023-11-14 22:13:20.123 +0000 UTC m=+5.000000123',
    );
    assert.equal(render('{{ dateInZone "15:04 MST" 0 "Test/Plus2" }}', undefined, functions), '02:00 P2');
    assert.equal(render('{{ dateInZone "15:04 MST" 0 "Nowhere/Else" }}', undefined, functions), '00:00 UTC');
  });

  test('the system environment reads zones from the tz database', () => {
    const berlin = SYSTEM_ENVIRONMENT.loadLocation('Europe/Berlin');
    assert.ok(berlin, 'tzdata is installed');
    assert.equal(berlin.lookup(1720000000).name, 'CEST');
    assert.equal(SYSTEM_ENVIRONMENT.loadLocation('../../etc/passwd'), undefined);
  });
});

describe('maps are references', () => {
  test('set and unset change the dict every variable sees, inside range too', () => {
    const out = render(
      '{{ $d := dict }}{{ range $i, $v := list "a" "b" }}{{ $_ := set $d $v $i }}{{ end }}{{ $d }}|{{ $e := $d }}{{ $_ := unset $e "a" }}{{ $d }}',
    );
    assert.equal(out, 'map[a:0 b:1]|map[b:1]');
  });

  test('set on the data map is visible to the caller, as in Go', () => {
    const data = goValueFromJson({ a: 1 });
    render('{{ $_ := set . "b" 2 }}', data);
    assert.equal(render('{{ . }}', data), 'map[a:1 b:2]');
  });

  test('keys and values come out sorted by key (Go: map order)', () => {
    assert.equal(
      render('{{ keys (dict "b" 1 "a" 2 "c" 3) }}|{{ values (dict "b" 1 "a" 2 "c" 3) }}'),
      '[a b c]|[2 1 3]',
    );
  });

  test('a dict set into itself does not hang toJson or deepEqual', () => {
    assert.throws(
      () => render('{{ $d := dict }}{{ $_ := set $d "self" $d }}{{ toRawJson $d }}'),
      /encountered a cycle via map\[string\]interface \{\}/,
    );
    assert.equal(render('{{ $d := dict }}{{ $_ := set $d "self" $d }}{{ deepEqual $d $d }}'), 'true');
  });
});

describe('bounds', () => {
  const limits = { maxOutputBytes: 1000, maxSteps: 100_000 };
  for (const template of [
    '{{ repeat 100000000 "x" }}',
    '{{ until 100000000 }}',
    '{{ untilStep 0 100000000 1 | len }}',
    '{{ seq 100000000 }}',
    '{{ randAlphaNum 100000000 }}',
    '{{ indent 100000000 "x" }}',
    '{{ replace "" "xxxxxxxxxx" (repeat 900 "y") }}',
  ]) {
    test(`${template} stops at the limits`, () => {
      assert.throws(
        () => renderToByteString({ name: 't', text: template, functions: SPRIG }, undefined, { limits }),
        (error: unknown) => error instanceof TemplateLimitError,
      );
    });
  }
});

describe('regular expressions run in linear time (as RE2 does)', () => {
  test('a pattern that makes backtracking engines exponential answers at once', () => {
    const started = performance.now();
    const out = render(
      '{{ regexMatch "^(a+)+$" (printf "%sb" (repeat 26 "a")) }}|{{ regexReplaceAll "(x+x+)+y" (repeat 30 "x") "" | len }}',
    );
    assert.equal(out, 'false|30');
    assert.ok(performance.now() - started < 1000, `${performance.now() - started} ms`);
  });

  test('long inputs are charged against the step budget', () => {
    assert.throws(
      () =>
        renderToByteString(
          { name: 't', text: '{{ regexMatch "(a|b|c|d)*e" (repeat 100000 "a") }}', functions: SPRIG },
          undefined,
          {
            limits: { maxSteps: 50_000 },
          },
        ),
      (error: unknown) => error instanceof TemplateLimitError,
    );
  });
});

describe('random calls never escape as non-template errors', () => {
  const values = [
    '0',
    '1',
    '-1',
    '2.5',
    '""',
    '"a,b"',
    '"(x"',
    'nil',
    'true',
    '(list 1 "a")',
    '(dict "a" 1)',
    'list',
    'dict',
    '(semver "1.2.3")',
    'now',
    '.',
  ];
  test('every function with random arguments', () => {
    const functions = SPRIG.extend('with-helm', helmFunctions);
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const data = goMap([['k', 'v']]);
    for (const name of functions.names()) {
      if (/^(gen|buildCustomCert|bcrypt|derivePassword)/.test(name)) continue;
      for (let round = 0; round < 25; round++) {
        const args = Array.from({ length: random(4) }, () => values[random(values.length)]!).join(' ');
        try {
          renderToByteString({ name: 't', text: `{{ ${name} ${args} }}`, functions }, data, {
            limits: { maxOutputBytes: 100_000, maxSteps: 100_000 },
          });
        } catch (error) {
          assert.ok(error instanceof TemplateError, `${name} ${args}: ${String(error)}`);
        }
      }
    }
  });
});
