/**
 * The engine's own guarantees, beyond Go parity (cases.test.ts): bounds on depth, output, steps and nesting;
 * values hidden from error messages; the parse cache; the function-author API; and a fuzz test that random
 * templates never hang and never fail with anything but a TemplateError.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  byteStringFromText,
  defineFunction,
  FunctionSet,
  goList,
  goMap,
  goStringMapFromRecord,
  goValueFromJson,
  GoFuncError,
  GoInt,
  loadFunctionSet,
  parseTemplate,
  renderTemplate,
  renderToByteString,
  TemplateDataError,
  TemplateError,
  TemplateExecError,
  TemplateLimitError,
  TemplateParseError,
  textFromByteString,
  type GoValue,
  type RenderOptions,
  type TemplateSource,
} from '../../src/template/index.ts';
import { goValueFromYaml } from '../../src/template/yaml-data.ts';

function render(
  text: string,
  data?: unknown,
  options: RenderOptions = {},
  source: Partial<TemplateSource> = {},
): string {
  return textFromByteString(
    renderToByteString({ name: 't', text, ...source }, goValueFromJson(data), options),
  );
}

function renderError(
  text: string,
  data?: unknown,
  options: RenderOptions = {},
  source: Partial<TemplateSource> = {},
) {
  try {
    render(text, data, options, source);
  } catch (error) {
    assert.ok(error instanceof TemplateError, `not a TemplateError: ${String(error)}`);
    return error;
  }
  assert.fail(`rendering ${JSON.stringify(text)} did not fail`);
}

describe('bounds', () => {
  test('endless template recursion stops at the depth limit with a Go-style message', () => {
    const error = renderError('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" }}');
    assert.ok(error instanceof TemplateLimitError);
    assert.equal(error.code, 'ERR_TEMPLATE_LIMIT');
    assert.match(
      error.message,
      /^template: t:1:28: executing "r" at <\{\{template "r" \.\}\}>: exceeded maximum template depth \(1000\)$/,
    );
    const shallow = renderError('{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" }}', null, {
      limits: { maxDepth: 7 },
    });
    assert.match(shallow.message, /exceeded maximum template depth \(7\)$/);
  });

  test('output stops at the output limit', () => {
    const error = renderError('{{ range $i := 100000 }}0123456789{{ end }}', null, {
      limits: { maxOutputBytes: 1000 },
    });
    assert.ok(error instanceof TemplateLimitError);
    assert.match(error.message, /output exceeds the limit of 1000 bytes$/);
    // One formatting call cannot exceed it either.
    const wide = renderError('{{ printf "%999999d" 1 }}', null, { limits: { maxOutputBytes: 1000 } });
    assert.ok(wide instanceof TemplateLimitError);
    assert.equal(
      render('{{ range $i := 100 }}0123456789{{ end }}', null, { limits: { maxOutputBytes: 1000 } }).length,
      1000,
    );
  });

  test('every step counts against the budget: loops end', () => {
    const error = renderError('{{ range $i := 1000000000 }}{{ end }}', null, {
      limits: { maxSteps: 100_000 },
    });
    assert.ok(error instanceof TemplateLimitError);
    assert.match(error.message, /execution exceeds the budget of 100000 steps$/);
    const nested = renderError(
      '{{ range . }}{{ range $ }}{{ range $ }}{{ . }}{{ end }}{{ end }}{{ end }}',
      Array(100).fill(1),
      {
        limits: { maxSteps: 10_000 },
      },
    );
    assert.ok(nested instanceof TemplateLimitError);
  });

  test('deep nesting is a parse error, not a stack overflow', () => {
    const parens = renderError(`{{ ${'('.repeat(5000)}1${')'.repeat(5000)} }}`);
    assert.ok(parens instanceof TemplateParseError);
    assert.match(parens.message, /^template: t:1: nesting too deep: more than 500 levels/);
    const ifs = renderError(`${'{{ if 1 }}'.repeat(3000)}x${'{{ end }}'.repeat(3000)}`);
    assert.ok(ifs instanceof TemplateParseError);
    assert.equal(render(`${'{{ if 1 }}'.repeat(100)}x${'{{ end }}'.repeat(100)}`), 'x');
  });

  test('deeply nested data prints or fails cleanly', () => {
    let deep: unknown = 'leaf';
    for (let level = 0; level < 20000; level++) deep = [deep];
    assert.throws(
      () => goValueFromJson(deep),
      (error) => error instanceof TemplateDataError,
    );
    let fine: unknown = 'leaf';
    for (let level = 0; level < 1000; level++) fine = [fine];
    assert.equal(render('{{ . }}', fine), `${'['.repeat(1000)}leaf${']'.repeat(1000)}`);
    let printable: GoValue = 'leaf';
    for (let level = 0; level < 20000; level++) printable = goList([printable]);
    try {
      renderToByteString({ name: 't', text: '{{ . }}' }, printable);
    } catch (error) {
      assert.ok(error instanceof TemplateLimitError, String(error));
    }
  });
});

describe('values in error messages', () => {
  test('data values are hidden unless the caller reveals them', () => {
    const hidden = renderError('{{ range .password }}{{ end }}', { password: 'hunter2' });
    assert.doesNotMatch(hidden.message, /hunter2/);
    assert.match(hidden.message, /range can't iterate over <hidden string>$/);
    const shown = renderError(
      '{{ range .password }}{{ end }}',
      { password: 'hunter2' },
      { revealValuesInErrors: true },
    );
    assert.match(shown.message, /range can't iterate over hunter2$/);
    const compared = renderError('{{ eq .a .b }}', { a: ['hunter2'], b: { k: 'hunter3' } });
    assert.doesNotMatch(compared.message, /hunter/);
  });

  test('missing keys name the key, never a value', () => {
    const error = renderError('{{ .password }}', null, { missingKey: 'error' }, {});
    assert.match(error.message, /nil data; no entry for key "password"/);
  });
});

describe('parse cache', () => {
  test('the same text is parsed once per function set, errors included', () => {
    const source = { name: 't', text: '{{ .a }}' };
    assert.equal(parseTemplate(source), parseTemplate({ ...source }));
    const other = new FunctionSet('other', []);
    assert.notEqual(parseTemplate(source), parseTemplate({ ...source, functions: other }));
    assert.notEqual(parseTemplate(source), parseTemplate({ ...source, delims: ['[[', ']]'] }));
    const broken = { name: 't', text: '{{ if }}' };
    let first: unknown;
    let second: unknown;
    try {
      parseTemplate(broken);
    } catch (error) {
      first = error;
    }
    try {
      parseTemplate(broken);
    } catch (error) {
      second = error;
    }
    assert.ok(first instanceof TemplateParseError);
    assert.equal(first, second);
  });

  test('parse depends on which functions exist', () => {
    const withUpper = new FunctionSet('upper', [
      defineFunction({
        name: 'upper',
        params: ['string'],
        result: 'string',
        call: ([s]) => (s as string).toUpperCase(),
      }),
    ]);
    assert.equal(render('{{ upper "abc" }}', null, {}, { functions: withUpper }), 'ABC');
    assert.match(renderError('{{ upper "abc" }}').message, /function "upper" not defined/);
  });
});

describe('bytes in, bytes out', () => {
  test('binary values pass through unchanged', () => {
    const secret = new Uint8Array([0xff, 0x00, 0xc3, 0x28, 0x80]);
    const data = goStringMapFromRecord({ key: secret });
    assert.deepEqual(renderTemplate({ name: 't', text: '{{ .key }}' }, data), secret);
    assert.deepEqual(
      renderTemplate({ name: 't', text: '{{ len .key }}' }, data),
      new TextEncoder().encode('5'),
    );
  });

  test('template text may be given as bytes', () => {
    const text = new TextEncoder().encode('héllo {{ .a }}');
    assert.equal(
      textFromByteString(renderToByteString({ name: 't', text }, goValueFromJson({ a: 'wörld' }))),
      'héllo wörld',
    );
  });

  test('an empty or nil data value is no value', () => {
    assert.equal(render('{{ . }}|{{ .a }}'), '<no value>|<no value>');
  });
});

describe('function authors', () => {
  test('names must be Go identifiers and types must be in the data model', () => {
    assert.throws(
      () => defineFunction({ name: 'not-valid', params: [], result: 'string', call: () => '' }),
      TypeError,
    );
    assert.throws(
      () => defineFunction({ name: 'f', params: ['map[int]string'], result: 'string', call: () => '' }),
      TypeError,
    );
  });

  test('a thrown error is "error calling NAME: message"; any Error counts, as a Go panic does', () => {
    const set = new FunctionSet('s', [
      defineFunction({
        name: 'fails',
        params: [],
        result: 'string',
        returnsError: true,
        call: () => {
          throw new GoFuncError('no such key');
        },
      }),
      defineFunction({
        name: 'crashes',
        params: [],
        result: 'string',
        call: () => {
          throw new TypeError('boom');
        },
      }),
    ]);
    assert.match(
      renderError('{{ fails }}', null, {}, { functions: set }).message,
      /at <fails>: error calling fails: no such key$/,
    );
    assert.match(
      renderError('{{ crashes }}', null, {}, { functions: set }).message,
      /error calling crashes: boom$/,
    );
  });

  test('a function returning something other than its declared type is caught', () => {
    const set = new FunctionSet('s', [
      defineFunction({ name: 'lies', params: [], result: 'string', call: () => new GoInt('int', 1n) }),
    ]);
    const error = renderError('{{ lies }}', null, {}, { functions: set });
    assert.ok(error instanceof TemplateExecError);
    assert.match(error.message, /function returned int where its signature says string/);
  });

  test('functions charge their work to the step budget', () => {
    const set = new FunctionSet('s', [
      defineFunction({
        name: 'spin',
        params: ['int'],
        result: 'string',
        call: ([count], context) => {
          for (let i = 0n; i < (count as GoInt).value; i++) context.charge(1);
          return 'done';
        },
      }),
    ]);
    assert.equal(render('{{ spin 10 }}', null, {}, { functions: set }), 'done');
    const error = renderError('{{ spin 1000000 }}', null, { limits: { maxSteps: 1000 } }, { functions: set });
    assert.ok(error instanceof TemplateLimitError);
  });

  test('values built with the helpers print as Go prints them', () => {
    const set = new FunctionSet('s', [
      defineFunction({
        name: 'dict',
        params: [],
        result: 'map[string]interface {}',
        call: () =>
          goMap([
            ['b', goList([1, 'x', null])],
            ['a', new GoInt('int64', 2n)],
          ] as [string, GoValue][]),
      }),
    ]);
    assert.equal(
      render('{{ dict }} {{ printf "%T" dict }}', null, {}, { functions: set }),
      'map[a:2 b:[1 x <nil>]] map[string]interface {}',
    );
  });

  test('function sets load by name', async () => {
    assert.deepEqual((await loadFunctionSet('none')).names(), []);
    const sprig = await loadFunctionSet('sprig');
    assert.ok(sprig.has('upper') && sprig.has('sha256sum') && !sprig.has('env'));
    assert.equal(await loadFunctionSet('sprig'), sprig, 'each set is built once');
    assert.ok((await loadFunctionSet('eso')).has('pkcs12key'));
    assert.ok((await loadFunctionSet('sealed-secrets')).has('sha512sum'));
    assert.deepEqual((await loadFunctionSet('injector')).names(), ['toJSON']);
  });
});

describe('data', () => {
  test('JSON numbers are float64, as encoding/json decodes them', () => {
    assert.equal(render('{{ .n }} {{ printf "%T" .n }}', { n: 1000000 }), '1e+06 float64');
  });

  test('YAML is read with YAML 1.1 rules, like sigs.k8s.io/yaml', () => {
    const data = goValueFromYaml('a: yes\nb: 010\nc: 2001-12-14\n1: one\n');
    assert.equal(
      textFromByteString(renderToByteString({ name: 't', text: '{{ printf "%v" . }}' }, data)),
      'map[1:one a:true b:8 c:2001-12-14]',
    );
    assert.throws(
      () => goValueFromYaml('a: [hunter2'),
      (error: Error) => !error.message.includes('hunter2'),
    );
  });
});

// -- fuzzing -------------------------------------------------------------------------------------------------

/** A small deterministic generator (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = [
  '{{',
  '}}',
  '{{- ',
  ' -}}',
  ' ',
  '\n',
  'x',
  'if ',
  'else ',
  'end',
  'range ',
  'with ',
  'define ',
  'template ',
  'block ',
  'break',
  'continue',
  '.',
  '.a',
  '.b.c',
  '$',
  '$x',
  '$x := ',
  '$y = ',
  ', ',
  '|',
  '(',
  ')',
  '1',
  '-2',
  '3.5',
  '0x1f',
  "'a'",
  '"s"',
  '`r`',
  '"t"',
  'nil',
  'true',
  'and ',
  'or ',
  'not ',
  'len ',
  'index ',
  'slice ',
  'eq ',
  'ne ',
  'lt ',
  'print ',
  'printf ',
  '"%v %d %s %q %x %5.2f"',
  'println ',
  'html ',
  'js ',
  'urlquery ',
  'call ',
  '/*',
  '*/',
  '1i',
  '{{ range $i, $v := . }}',
  '{{ end }}',
  '{{ template "t" . }}',
  '{{ define "t" }}',
  '{{ else if .a }}',
  '{{ if .a }}',
];

const FUZZ_DATA = [
  null,
  { a: [1, 'two', null, { c: 3 }], b: { c: 'd' }, t: true },
  [1, 2, 3],
  'text',
  { a: { a: { a: [] } } },
];

test('random templates end, within their bounds, with output or a TemplateError', () => {
  const limits = { maxSteps: 20_000, maxOutputBytes: 20_000, maxDepth: 30, maxNesting: 60 };
  for (let seed = 1; seed <= 3000; seed++) {
    const next = random(seed);
    let text = '';
    const length = 1 + Math.floor(next() * 40);
    for (let index = 0; index < length; index++) text += FRAGMENTS[Math.floor(next() * FRAGMENTS.length)];
    const data = goValueFromJson(FUZZ_DATA[seed % FUZZ_DATA.length]);
    try {
      const output = renderToByteString({ name: 'fuzz', text }, data, {
        limits,
        missingKey: seed % 3 === 0 ? 'error' : 'default',
      });
      assert.ok(output.length <= limits.maxOutputBytes);
    } catch (error) {
      assert.ok(
        error instanceof TemplateError,
        `seed ${seed}: ${JSON.stringify(text)} threw ${String(error)}`,
      );
      assert.match(error.message, /^template: /, `seed ${seed}`);
    }
  }
});

test('text without actions is copied byte for byte', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const next = random(seed);
    let text = '';
    for (let index = 0; index < 50; index++) text += String.fromCodePoint(Math.floor(next() * 0x2000));
    text = text.replaceAll('{{', '{');
    assert.equal(renderToByteString({ name: 't', text }, undefined), byteStringFromText(text));
  }
});

/** Syntactically valid templates, so that the fuzzing reaches execution and not only the parser. */
function validTemplate(next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const functions = [
    'and',
    'or',
    'not',
    'len',
    'index',
    'slice',
    'eq',
    'ne',
    'lt',
    'le',
    'gt',
    'ge',
    'print',
    'printf',
    'println',
    'html',
    'js',
    'urlquery',
    'call',
  ];
  const operand = (depth: number, inRange: boolean): string => {
    const simple = [
      '.',
      '.a',
      '.b.c',
      '$',
      '$.a',
      '1',
      '-1',
      '2.5',
      '"s"',
      '"%v-%d"',
      'true',
      'nil',
      "'x'",
      '0',
    ];
    if (inRange) simple.push('$v', '$i');
    if (depth > 0 && next() < 0.3) return `(${pipeline(depth - 1, inRange)})`;
    return pick(simple);
  };
  const pipeline = (depth: number, inRange: boolean): string => {
    let command = next() < 0.6 ? `${pick(functions)}` : operand(depth, inRange);
    if (functions.includes(command)) {
      const count = Math.floor(next() * 4);
      for (let index = 0; index < count; index++) command += ` ${operand(depth, inRange)}`;
    }
    if (next() < 0.2) command += ` | ${pick(functions)}`;
    return command;
  };
  const list = (depth: number, inRange: boolean): string => {
    let out = '';
    const count = 1 + Math.floor(next() * 3);
    for (let index = 0; index < count; index++) out += node(depth, inRange);
    return out;
  };
  const node = (depth: number, inRange: boolean): string => {
    const choice = depth <= 0 ? Math.floor(next() * 2) : Math.floor(next() * 9);
    switch (choice) {
      case 0:
        return pick(['x', ' ', '\n', '-']);
      case 1:
        return `{{ ${pipeline(2, inRange)} }}`;
      case 2:
        return `{{ if ${pipeline(1, inRange)} }}${list(depth - 1, inRange)}${next() < 0.5 ? `{{ else }}${list(depth - 1, inRange)}` : ''}{{ end }}`;
      case 3:
        return `{{ range $i, $v := ${pipeline(1, inRange)} }}${list(depth - 1, true)}${next() < 0.3 ? '{{ break }}' : '{{ continue }}'}{{ end }}`;
      case 4:
        return `{{ with ${pipeline(1, inRange)} }}${list(depth - 1, inRange)}{{ end }}`;
      case 5:
        return `{{ template "t" ${pipeline(1, inRange)} }}`;
      case 6:
        return `{{ $x := ${pipeline(1, inRange)} }}{{ $x }}`;
      case 7:
        return `{{- ${pipeline(1, inRange)} -}}`;
      default:
        return `{{ range $i, $v := ${next() < 0.5 ? '.' : '100'} }}${list(depth - 1, true)}{{ end }}`;
    }
  };
  return `{{ define "t" }}${list(2, false)}{{ end }}${list(4, false)}`;
}

test('random valid templates end, within their bounds, with output or a TemplateError', () => {
  const limits = { maxSteps: 50_000, maxOutputBytes: 50_000, maxDepth: 20 };
  let rendered = 0;
  for (let seed = 1; seed <= 1500; seed++) {
    const next = random(seed * 7919);
    const text = validTemplate(next);
    const data = goValueFromJson(FUZZ_DATA[seed % FUZZ_DATA.length]);
    try {
      const output = renderToByteString({ name: 'fuzz', text }, data, { limits });
      assert.ok(output.length <= limits.maxOutputBytes);
      rendered++;
    } catch (error) {
      assert.ok(
        error instanceof TemplateError,
        `seed ${seed}: ${JSON.stringify(text)} threw ${String(error)}`,
      );
      assert.ok(!(error instanceof TemplateParseError), `seed ${seed}: ${error.message}`);
    }
  }
  assert.ok(rendered > 100, `only ${rendered} of the valid templates rendered`);
});
