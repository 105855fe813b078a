/**
 * The "test" function set of the case tables: the same small, typed functions tools/template-cases/main.go
 * registers in Go, so that argument checking, errors and `call` are compared against Go's real behaviour.
 */
import {
  defineFunction,
  FunctionSet,
  GoBytes,
  GoFunc,
  GoFuncError,
  GoInt,
  GoList,
  GoMap,
  GoStruct,
  goInt,
  type GoValue,
} from '../../src/template/index.ts';
import { sprint } from '../../src/template/go-fmt.ts';

const int = (value: GoValue): bigint => (value as GoInt).value;

const adderType = { params: ['int'], variadic: false, result: 'int', returnsError: false };

export const TEST_FUNCTIONS = new FunctionSet('test', [
  defineFunction({
    name: 'addInts',
    params: ['int', 'int'],
    result: 'int',
    call: ([a, b]) => goInt(int(a!) + int(b!)),
  }),
  defineFunction({
    name: 'addInt64',
    params: ['int64', 'int64'],
    result: 'int64',
    call: ([a, b]) => new GoInt('int64', int(a!) + int(b!)),
  }),
  defineFunction({ name: 'half', params: ['float64'], result: 'float64', call: ([f]) => (f as number) / 2 }),
  defineFunction({
    name: 'repeatStr',
    params: ['string', 'int'],
    result: 'string',
    call: ([text, count]) => (text as string).repeat(Number(int(count!))),
  }),
  defineFunction({
    name: 'joinAll',
    params: ['string', 'string'],
    variadic: true,
    result: 'string',
    call: ([separator, ...parts]) => (parts as string[]).join(separator as string),
  }),
  defineFunction({
    name: 'failWith',
    params: ['string'],
    result: 'string',
    returnsError: true,
    call: ([message]) => {
      throw new GoFuncError(message as string);
    },
  }),
  defineFunction({
    name: 'identity',
    params: ['interface {}'],
    result: 'interface {}',
    call: ([value]) => value!,
  }),
  defineFunction({ name: 'isTrue', params: ['bool'], result: 'string', call: ([value]) => sprint([value!]) }),
  defineFunction({
    name: 'strList',
    params: ['string'],
    variadic: true,
    result: '[]string',
    call: (items) => new GoList('[]string', items),
  }),
  defineFunction({
    name: 'anyList',
    params: ['interface {}'],
    variadic: true,
    result: '[]interface {}',
    call: (items) => new GoList('[]interface {}', items),
  }),
  defineFunction({
    name: 'strMap',
    params: ['string', 'string'],
    result: 'map[string]string',
    call: ([key, value]) => new GoMap('map[string]string', new Map([[key as string, value!]])),
  }),
  defineFunction({
    name: 'anyMap',
    params: ['string', 'interface {}'],
    result: 'map[string]interface {}',
    call: ([key, value]) => new GoMap('map[string]interface {}', new Map([[key as string, value!]])),
  }),
  defineFunction({
    name: 'toBytes',
    params: ['string'],
    result: '[]uint8',
    call: ([text]) => new GoBytes(Uint8Array.from(text as string, (char) => char.charCodeAt(0))),
  }),
  defineFunction({
    name: 'toInt64',
    params: ['int'],
    result: 'int64',
    call: ([i]) => new GoInt('int64', int(i!)),
  }),
  defineFunction({
    name: 'toUint8',
    params: ['int'],
    result: 'uint8',
    call: ([i]) => new GoInt('uint8', int(i!)),
  }),
  defineFunction({
    name: 'adder',
    params: ['int'],
    result: 'func(int) int',
    call: ([n]) => new GoFunc('adder', adderType, ([x]) => goInt(int(x!) + int(n!))),
  }),
  defineFunction({
    name: 'failer',
    params: [],
    result: 'func(string) (string, error)',
    call: () =>
      new GoFunc(
        'failer',
        { params: ['string'], variadic: false, result: 'string', returnsError: true },
        ([m]) => {
          throw new GoFuncError(m as string);
        },
      ),
  }),
  defineFunction({
    name: 'variadic',
    params: [],
    result: 'func(string, ...int) string',
    call: () =>
      new GoFunc(
        'variadic',
        { params: ['string', 'int'], variadic: true, result: 'string', returnsError: false },
        ([s, ...n]) => sprint([s!, new GoList('[]int', n)]),
      ),
  }),
  defineFunction({ name: 'nilAny', params: [], result: 'interface {}', call: () => null }),
  defineFunction({ name: 'break', params: [], result: 'string', call: () => 'user break' }),
  defineFunction({
    name: 'pair',
    params: ['string', 'string'],
    result: 'main.testPair',
    call: ([cert, key]) =>
      new GoStruct({
        type: 'main.testPair',
        fields: [
          ['Cert', cert!],
          ['Key', key!],
        ],
      }),
  }),
  defineFunction({
    name: 'version',
    params: ['string'],
    result: '*main.testVersion',
    call: ([text]) => version(text as string),
  }),
]);

/** Like sprig's *semver.Version: a pointer with unexported fields, methods and a String method. */
function version(text: string): GoStruct {
  const major = new GoInt('int64', BigInt(text.charCodeAt(0) - 0x30));
  const method = (name: string, params: string[], result: string, call: (args: GoValue[]) => GoValue) =>
    [name, new GoFunc(name, { params, variadic: false, result, returnsError: false }, call)] as const;
  return new GoStruct({
    type: 'main.testVersion',
    pointer: true,
    fields: [
      ['major', major],
      ['text', text],
    ],
    methods: [
      method('Major', [], 'int64', () => major),
      method('String', [], 'string', () => text),
      method('Bump', ['int'], 'string', ([by]) =>
        sprint([new GoInt('int64', major.value + int(by!)), text.slice(1)]),
      ),
    ],
    string: () => text,
  });
}
